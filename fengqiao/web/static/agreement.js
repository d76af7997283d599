// The agreement page of the console: the mediator's handwritten signature and copying links.
(function () {
  document.querySelectorAll("button.copy").forEach(function (btn) {
    btn.addEventListener("click", function () {
      var input = btn.parentNode.querySelector("input.link");
      input.select();
      var done = function () { btn.textContent = "已复制"; };
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(input.value).then(done, function () { document.execCommand("copy"); done(); });
      } else { document.execCommand("copy"); done(); }
    });
  });

  var pad = document.getElementById("pad");
  var form = document.getElementById("form-sign");
  if (!pad || !form) return;
  var sig = window.FQPad(pad);
  document.getElementById("pad-clear").addEventListener("click", sig.clear);
  form.addEventListener("submit", function (e) {
    var msg = document.getElementById("pad-msg");
    if (!sig.drawn()) { e.preventDefault(); msg.hidden = false; return; }
    msg.hidden = true;
    document.getElementById("signature").value = sig.png();
  });
})();
