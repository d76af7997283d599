// Shared helpers for the booking pages: JSON calls, messages, element building.
"use strict";
const FQ = {
  csrf: (document.querySelector('meta[name="csrf"]') || {}).content || "",
  async api(method, url, body) {
    // X-Requested-With marks a write from these pages (the web-view's cookie session needs it).
    const opts = { method, headers: { "Accept": "application/json", "X-Requested-With": "fengqiao-h5" },
                   credentials: "same-origin" };
    if (body !== undefined) {
      opts.headers["Content-Type"] = "application/json";
      opts.body = JSON.stringify(body);
    }
    if (method !== "GET" && FQ.csrf) opts.headers["X-CSRF-Token"] = FQ.csrf;
    const resp = await fetch(url, opts);
    let data = null;
    try { data = await resp.json(); } catch (e) { data = null; }
    if (!resp.ok) {
      const message = data && data.error ? data.error.message : "网络繁忙，请稍后再试";
      const error = new Error(message);
      error.status = resp.status;
      error.code = data && data.error ? data.error.code : "";
      throw error;
    }
    return data;
  },
  el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (k === "class") node.className = v;
      else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
      else if (v !== null && v !== undefined && v !== false) node.setAttribute(k, v === true ? "" : v);
    }
    for (const c of children.flat()) {
      if (c === null || c === undefined || c === false) continue;
      node.append(c instanceof Node ? c : document.createTextNode(String(c)));
    }
    return node;
  },
  msg(text, kind) {
    const box = document.getElementById("msg");
    box.replaceChildren(text ? FQ.el("div", { class: "msg " + (kind || "info"), role: "status" }, text) : "");
  },
  time(iso) {
    const d = new Date(iso);
    const pad = (n) => String(n).padStart(2, "0");
    // Shown in China time whatever the phone's zone is.
    const cn = new Date(d.getTime() + (d.getTimezoneOffset() + 480) * 60000);
    return pad(cn.getHours()) + ":" + pad(cn.getMinutes());
  },
};
