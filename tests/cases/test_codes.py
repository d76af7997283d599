from datetime import datetime

from fengqiao.cases import codes


def test_new_code_shape_and_validity():
    code = codes.new_code(datetime(2026, 11, 22))
    assert code.startswith("FQ2611-")
    assert codes.is_valid(code)
    assert codes.normalise(code) == code


def test_random_part_uses_the_whole_alphabet_evenly():
    counts = dict.fromkeys(codes.ALPHABET, 0)
    for _ in range(3200):
        for ch in codes.new_code(datetime(2026, 11, 22))[7:13]:
            counts[ch] += 1
    # 19,200 characters: 600 of each expected; a skewed mapping would miss by far more.
    assert all(450 < n < 750 for n in counts.values()), counts


def test_every_single_character_typo_is_rejected():
    for _ in range(50):
        code = codes.new_code(datetime(2026, 11, 22))
        compact = code.replace("-", "")
        for i in range(2, len(compact)):
            for ch in codes.ALPHABET:
                if ch == compact[i]:
                    continue
                typo = compact[:i] + ch + compact[i + 1 :]
                assert codes.normalise(typo) is None, (code, typo)


def test_adjacent_swaps_are_mostly_rejected():
    rejected = total = 0
    for _ in range(200):
        compact = codes.new_code(datetime(2026, 1, 1)).replace("-", "")
        for i in range(6, len(compact) - 1):
            if compact[i] == compact[i + 1]:
                continue
            swapped = compact[:i] + compact[i + 1] + compact[i] + compact[i + 2 :]
            total += 1
            rejected += codes.normalise(swapped) is None
    assert rejected / total > 0.95


def test_lenient_reading_of_what_people_type():
    code = codes.new_code(datetime(2026, 11, 22))
    assert codes.normalise(code.lower()) == code
    assert codes.normalise(code.replace("-", " ")) == code
    assert codes.normalise(" " + code.replace("-", "") + " ") == code
    assert codes.normalise("FQ2611-ABCDEF") is None
    assert codes.normalise("") is None
    assert codes.normalise("../../etc/passwd") is None


def _full_width(text: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text)


def test_full_width_codes_and_surrounding_punctuation_are_read():
    # Probe report #20: ＦＱ２６１２－… (a Chinese input method's full-width forms) and a code
    # pasted with the sentence's 。 were "not found".
    code = codes.new_code(datetime(2026, 12, 7))
    for typed in (_full_width(code), code + "。", f"案件编号：{code}。", f"「{code}」",
                  code.replace("-", "－"), code.replace("-", "−"), _full_width(code.lower())):
        assert codes.normalise(typed) == code, typed
    doc = f"{code}-1A2B3C4D"
    for typed in (doc, _full_width(doc), doc.lower() + "。", f" {doc}，", doc.replace("-", "")):
        assert codes.normalise_document(typed) == doc, typed
    assert codes.normalise_document(code) is None
    assert codes.normalise_document(doc[:-1]) is None
    assert codes.normalise_document("") is None
