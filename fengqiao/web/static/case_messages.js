// The console case page's message threads (templates/case_messages.html.j2): one thread per
// party, oldest first, with a box to answer that party. Text only from here; images the
// parties send are shown.
"use strict";
(function () {
  const box = document.getElementById("messages");
  if (!box) return;
  const code = box.dataset.code, csrf = box.dataset.csrf;
  const url = "/api/v1/cases/" + encodeURIComponent(code) + "/messages";
  const roles = { applicant: "申请人", respondent: "被申请人", agent: "代理人" };

  function el(tag, attrs, text) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, v);
    if (text !== undefined) node.textContent = text;
    return node;
  }
  function when(iso) { return iso.replace("T", " ").slice(0, 16); }

  function render(data) {
    const threads = document.getElementById("message-threads");
    threads.replaceChildren();
    let any = false;
    data.parties.forEach(function (p) {
      const mine = data.messages.filter(function (m) { return m.party_id === p.id; });
      any = any || mine.length > 0;
      const div = el("div", { class: "thread", id: "thread-" + p.id });
      div.appendChild(el("h3", {}, (roles[p.role] || p.role) + " " + (p.name || "")));
      const list = el("ul", { class: "plain" });
      mine.forEach(function (m) {
        const li = el("li", { class: "message " + m.side });
        li.appendChild(el("b", {}, m.side === "staff" ? "调解员 " + m.author_name : m.author_name));
        li.appendChild(el("span", { class: "muted" }, " " + when(m.created_at)));
        if (m.text) li.appendChild(el("p", {}, m.text));
        if (m.image_url) {
          const img = el("img", { src: m.image_url, alt: "图片", class: "message-image" });
          li.appendChild(img);
        }
        list.appendChild(li);
      });
      div.appendChild(list);
      const form = el("form", { class: "action" });
      const text = el("textarea", { name: "text", rows: "2", maxlength: "2000", required: "", placeholder: "回复" + (roles[p.role] || "") });
      form.appendChild(text);
      form.appendChild(el("button", { type: "submit" }, "回复"));
      form.addEventListener("submit", function (ev) {
        ev.preventDefault();
        send(p.id, text.value);
      });
      div.appendChild(form);
      threads.appendChild(div);
    });
    document.getElementById("messages-empty").hidden = any;
    box.hidden = false;
  }

  function fail(message) {
    const out = document.getElementById("messages-error");
    out.textContent = message;
    out.hidden = false;
  }

  async function load() {
    const resp = await fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } });
    if (resp.status === 403) return;  // a role that does not answer parties sees no section
    const data = await resp.json().catch(function () { return null; });
    if (!resp.ok || !data) return fail((data && data.error && data.error.message) || "留言加载失败");
    render(data);
  }

  async function send(partyId, text) {
    const resp = await fetch(url, {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf },
      body: JSON.stringify({ text: text, party_id: partyId }),
    });
    const data = await resp.json().catch(function () { return null; });
    if (!resp.ok) return fail((data && data.error && data.error.message) || "发送失败");
    load();
  }

  load();
})();
