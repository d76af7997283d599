"""Passwords too common to allow: the ones at the top of every published list of leaked
passwords, the ones Chinese users choose most (love numbers such as 5201314, pinyin names and
places, keyboard walks), and this platform's own words. Also used as base words: a
password that is one of these with digits or symbols around it is refused too (see
fengqiao.passwords). 632 entries, lower case, separated by white space."""

from __future__ import annotations

COMMON_PASSWORDS = frozenset(
    """
!qaz2wsx 000000 00000000 0000000000 0123456789 0987654321 1010101010 110110110 111111
11111111 111111111 1111111111 11223344 1122334455 12121212 1212121212 123123 123123123
1231231234 123123a 123321 123321123 1234 12341234 12344321 12345 1234512345 123454321
1234554321 123456 123456123 1234567 12345678 123456789 1234567890 1234567890a 1234567891
12345678910 123456789a 123456789q 123456a 123456aa 123456abc 12345qwert 1234abcd 1234qwer
123654789 123aaa 123abc 123qwe 123qweasd 123qweasdzxc 1314520 13145200 1314521 147258
147258369 159357 159753 1q2w3e 1q2w3e4r 1q2w3e4r5t 1q2w3e4r5t6y 1q2w3e4r5t6y7u8i9o0p 1qaz
1qaz!qaz 1qaz2wsx 1qaz2wsx3edc 1qaz@wsx 1qazxsw2 1qazxsw23edc 2020202020 2021202120 2022
2023 2024 2025 2026 22222222 258369 2wsx 3.1415926 31415926 369258147 3edc 5201314 520131400
520520 5211314 521521 55555555 5555555555 584520 654321 66666666 6666666666 741852963
7758258 7758521 7777777777 789456123 88888888 8888888888 963852741 987654321 9876543210
99999999 9999999999 a000000 a111111 a123456 a12345678 a1234567890 a1b2c3d4 a5201314 a888888
aa123456 aa12345678 aaa111 aaaaaa aaaaaaaa aaaaaaaaaa abc111 abc123 abc12345 abc123456
abc123abc abc666 abc888 abcd1234 abcd123456 abcdefg abcdefgh abcdefghij access admin
admin123 admin1234 admin12345 admin2024 admin2025 admin2026 admin888 administrator
administrator1 aini aini1314 aiwo alibaba amanda andrea andrew angel angel1 anthony arsenal
asd123456 asdasd asdasdasd asdf1234 asdfasdf asdfg asdfgh asdfghj asdfghjkl asdfghjkl;
asdqwe asdzxc ashley ashley1 austin azerty azertyuiop baby babygirl baidu bailey bandit
bangong bangong123 baobao barcelona baseball baseball1 batman batman1 beatles beibei beijing
bigboy bigdog biteme black blahblah blink182 booboo boomer bulldog buster butterfly camaro
changeit changeme changeme123 charlie charlie1 cheese chelsea chelsea1 chen123 chengdu
chicken china chocolate chongqing coffee compaq computer contrasena cookie corvette cowboy
cowboys dakota dallas daniel daniel1 danwei dearbook default default123 demo demo123 diamond
dianxin dolphin dragon dragon1 eagles eminem falcon family fayuan fengqiao fengqiao123
fengqiao2026 ferrari fishing flower flowers football football1 forever fortnite freedom
friends gao123 gateway george ginger golfer gonganju gongsi gongzuo guangzhou guest guest123
guitar guo123 hahaha hahahaha hammer hangzhou hannah harley haslo he123456 heather hejsan
hello hello123 hello1234 helloworld hockey honey hottie hu123456 huang123 huawei hunter
iceman iloveu iloveu2 iloveyou iloveyou1 iloveyou1314 jackson jasmine jennifer jessica jesus
jesus1 jiufen johnny jordan jordan23 joseph joshua joshua1 junior justin kefu kefu123 killer
killer1 knight laogong laopo letmein letmein1 letmein123 letmein2024 li123456 liantong
lijing lijun lin123 lina liqiang liu123 liuwei liuyang liverpool liwei liyang london love
lovelove lovely loveme loveyou lucky luo123 ma123456 madison maggie manchester maria marina
martin master master1 matrix matthew matthew1 maverick melissa mercedes merlin metallica
michael michael1 michelle michelle1 mickey mima mima123 mimamima minecraft money monkey
monkey1 morgan motdepasse mustang mustang1 mylove mypass mypassword mysql nanjing naruto
nascar nathan newpass newpassword nicholas nicole nicole1 nihao nihao123 nirvana oldpassword
olivia oracle orange p@ssw0rd p@ssword paichusuo parola pass pass123 pass1234 pass12345
passion passpass passport passw0rd password password1 password123 password1234 password12345
password2024 password2025 password2026 passwort patricia patrick peanut pepper pepper1
phoenix please pokemon porsche postgres princesa princess princess1 purple q123456 q1w2e3r4
qawsed qaz123 qazwsx qazwsx123 qazwsxedc qazwsxedc1 qq111111 qq123456 qq5201314 qqqq
qqqqqqqq qwaszx qwe123 qwe123456 qwe888 qweasd qweasd123 qweasdzxc qweasdzxc123 qweqwe
qwer1234 qwerasdf qwerasdfzxcv qwerty qwerty1 qwerty123 qwerty12345 qwerty123456 qwertyu
qwertyui qwertyuiop qwertyuiop[] qwertz rachel rainbow ranger realmadrid redis richard
robert roblox root root123 root1234 root12345 salasana samantha samsung scooter secret
secret123 secure secure123 senha server sexy shadow shadow1 shanghai shannon shenzhen shouji
sifa silver smokey snoopy soccer sophie sparky spider spiderman starwars starwars1 steelers
stella steven summer sun123 sunflower sunshine sunshine1 superman superman1 sweety system
system123 taobao taylor temp temp123 temporary temppass tencent tennis test test123 test1234
testtest thomas thunder tianjin tiantian tiaojie tiaojie123 tiger tigers tigger toor trinity
trustno1 user user123 victoria vincent w123456 wachtwoord wang123 wangfang wangjing wangjun
wanglei wangwei wangxiuying wangyang wangyi wangyong wechat wechat123 weixin weixin123
welcome welcome1 welcome123 welcome2024 welcome2025 welcome2026 whatever william winner
winter wo123456 woaini woaini123 woaini1314 woaini520 woaiwojia wodeai wodemima woshishui
wsx123 wu123456 wuhan xian xiaohong xiaohua xiaoli xiaomi xiaoming xiazhili xu123456 xxxxxx
yamaha yang123 yankees yellow yidong z123456 zaq12wsx zaq1xsw2 zaq1zaq1 zhang123 zhangjie
zhanglei zhangli zhangmin zhangtao zhangwei zhangyan zhangyong zhao123 zhengfa zhengfu
zhongguo zhongguoren zhonghua zhou123 zhu123 zongzhi zongzhi123 zxc123456 zxcasd zxcvb
zxcvbn zxcvbn1 zxcvbnm zxcvbnm1 zxcvbnm123 zxczxc zz123456
""".split()
)
