// A handwritten signature pad on a <canvas>: pointer events cover mouse, touch and pen.
// Shared by the party's signing page and the mediator's agreement page in the console.
window.FQPad = function (pad) {
  var ctx = null, drawing = false;
  var state = { drawn: false };
  function setup() {
    var ratio = window.devicePixelRatio || 1;
    pad.width = pad.clientWidth * ratio;
    pad.height = pad.clientHeight * ratio;
    ctx = pad.getContext("2d");
    ctx.scale(ratio, ratio);
    ctx.lineWidth = 3; ctx.lineCap = "round"; ctx.lineJoin = "round"; ctx.strokeStyle = "#111";
    state.drawn = false;
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
    var p = point(e); ctx.lineTo(p.x, p.y); ctx.stroke(); state.drawn = true;
  });
  ["pointerup", "pointercancel"].forEach(function (t) {
    pad.addEventListener(t, function () { drawing = false; });
  });
  return {
    clear: setup,
    drawn: function () { return state.drawn; },
    png: function () { return pad.toDataURL("image/png"); }
  };
};
