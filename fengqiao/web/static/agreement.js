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
  var ctx = null, drawing = false, drawn = false;
  function setup() {
    var ratio = window.devicePixelRatio || 1;
    pad.width = pad.clientWidth * ratio;
    pad.height = pad.clientHeight * ratio;
    ctx = pad.getContext("2d");
    ctx.scale(ratio, ratio);
    ctx.lineWidth = 3; ctx.lineCap = "round"; ctx.lineJoin = "round"; ctx.strokeStyle = "#111";
    drawn = false;
  }
  function point(e) {
    var r = pad.getBoundingClientRect();
    return { x: e.clientX - r.left, y: e.clientY - r.top };
  }
  pad.addEventListener("pointerdown", function (e) {
    if (!ctx) setup();
    drawing = true; pad.setPointerCapture(e.pointerId);
    var p = point(e); ctx.beginPath(); ctx.moveTo(p.x, p.y);
  });
  pad.addEventListener("pointermove", function (e) {
    if (!drawing) return;
    var p = point(e); ctx.lineTo(p.x, p.y); ctx.stroke(); drawn = true;
  });
  ["pointerup", "pointercancel"].forEach(function (t) {
    pad.addEventListener(t, function () { drawing = false; });
  });
  document.getElementById("pad-clear").addEventListener("click", setup);
  form.addEventListener("submit", function (e) {
    var msg = document.getElementById("pad-msg");
    if (!drawn) { e.preventDefault(); msg.hidden = false; return; }
    msg.hidden = true;
    document.getElementById("signature").value = pad.toDataURL("image/png");
  });
})();
