// Shared helpers of the documents pages: the link token, API calls, messages.
var FQ = (function () {
  var params = new URLSearchParams(location.search);
  var token = params.get("t") || "";
  function withToken(url) {
    if (!token) return url;
    return url + (url.indexOf("?") >= 0 ? "&" : "?") + "t=" + encodeURIComponent(token);
  }
  function api(method, url, body, raw) {
    // The header marks a write from this page: the mini-program's web-view session (a cookie)
    // is refused on writes without it, so no form on another site can act with it.
    var opts = { method: method, headers: { "X-Requested-With": "fengqiao-h5" },
                 credentials: "same-origin" };
    if (body !== undefined && !raw) {
      opts.headers["Content-Type"] = "application/json";
      opts.body = JSON.stringify(body);
    } else if (raw) {
      opts.body = body;
    }
    return fetch(withToken(url), opts).then(function (resp) {
      return resp.json().catch(function () { return {}; }).then(function (data) {
        if (!resp.ok) {
          var err = new Error((data.error && data.error.message) || "网络异常，请稍后重试。");
          err.data = data; err.status = resp.status;
          throw err;
        }
        return data;
      });
    });
  }
  function show(el, text, kind) {
    el.innerHTML = "";
    if (!text) return;
    var div = document.createElement("div");
    div.className = "msg " + (kind || "info");
    div.textContent = text;
    el.appendChild(div);
  }
  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    for (var k in attrs || {}) node.setAttribute(k, attrs[k]);
    if (text !== undefined) node.textContent = text;
    return node;
  }
  function renderText(box, text) {
    box.innerHTML = "";
    text.split(/\n\s*\n/).forEach(function (block) {
      block = block.replace(/^\n+|\n+$/g, "");
      if (!block) return;
      if (block.indexOf("# ") === 0) box.appendChild(el("h1", {}, block.slice(2)));
      else if (block.indexOf("## ") === 0) {
        var lines = block.split("\n");
        box.appendChild(el("h3", {}, lines[0].slice(3)));
        if (lines.length > 1) box.appendChild(el("p", {}, lines.slice(1).join("\n")));
      } else box.appendChild(el("p", {}, block));
    });
  }
  function time(iso) {
    if (!iso) return "";
    // China time whatever the phone's (or a test browser's) zone is, as the booking pages do.
    var t = new Date(iso);
    var d = new Date(t.getTime() + (t.getTimezoneOffset() + 480) * 60000);
    function p(n) { return (n < 10 ? "0" : "") + n; }
    return d.getFullYear() + "-" + p(d.getMonth() + 1) + "-" + p(d.getDate()) + " " +
      p(d.getHours()) + ":" + p(d.getMinutes());
  }
  function lastPathPart() {
    return decodeURIComponent(location.pathname.split("/").filter(Boolean).pop() || "");
  }
  // A file field in Chinese whatever the phone's language: the native control (invisible, it
  // still takes the tap) inside <label class="file">, whose text says what to choose and then
  // the chosen file's name.
  function fileName(input) {
    var label = input.parentNode.querySelector(".file-name");
    var file = input.files && input.files[0];
    label.textContent = file ? "已选择：" + file.name : label.getAttribute("data-empty");
    input.parentNode.classList.toggle("chosen", !!file);
  }
  function clearFile(input) { input.value = ""; fileName(input); }
  Array.prototype.forEach.call(document.querySelectorAll("label.file input[type=file]"), function (input) {
    input.addEventListener("change", function () { fileName(input); });
  });
  return { token: token, withToken: withToken, api: api, show: show, el: el,
           renderText: renderText, time: time, lastPathPart: lastPathPart, clearFile: clearFile };
})();
