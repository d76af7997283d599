// Mediator console: week calendar, bookings awaiting a time, accept/decline, notes, outcome,
// subsidy tally, calendar subscription.
"use strict";
(function () {
  const $ = (id) => document.getElementById(id);
  const params = new URLSearchParams(location.search);
  const DAY = 86400000;
  const WEEKDAYS = ["周一", "周二", "周三", "周四", "周五", "周六", "周日"];
  let mediatorId = params.get("mediator");
  let monday = null; // "YYYY-MM-DD" in China time
  let current = null;

  function cnDate(d) { return new Date(d.getTime() + (d.getTimezoneOffset() + 480) * 60000); }
  function ymd(d) {
    const pad = (n) => String(n).padStart(2, "0");
    return d.getFullYear() + "-" + pad(d.getMonth() + 1) + "-" + pad(d.getDate());
  }
  function thisMonday() {
    const now = cnDate(new Date());
    const back = (now.getDay() + 6) % 7;
    return ymd(new Date(now.getTime() - back * DAY));
  }
  function shift(days) {
    const [y, m, d] = monday.split("-").map(Number);
    monday = ymd(new Date(Date.UTC(y, m - 1, d) + days * DAY + 12 * 3600000));
  }

  async function loadWeek() {
    const url = `/api/v1/booking/mediators/${mediatorId}/calendar?from=${monday}T00:00:00%2B08:00&days=7`;
    const cal = await FQ.api("GET", url);
    const [y, m, d] = monday.split("-").map(Number);
    const today = ymd(cnDate(new Date()));
    const days = [];
    for (let i = 0; i < 7; i++) {
      const date = ymd(new Date(Date.UTC(y, m - 1, d) + i * DAY + 12 * 3600000));
      const events = cal.bookings.filter((b) => b.starts_at && b.starts_at.slice(0, 10) === date);
      days.push(FQ.el("div", { class: "day" + (date === today ? " today" : ""), "data-date": date },
        FQ.el("h3", {}, WEEKDAYS[i] + " " + date.slice(5)),
        events.map((b) => FQ.el("a", {
          class: "event " + b.status, href: "#booking-" + b.id, "data-booking": b.id,
          onclick: (e) => { e.preventDefault(); showDetail(b.id); },
        }, FQ.time(b.starts_at) + " " + b.type_name, FQ.el("br"), b.case + " · " + b.status_name))));
    }
    $("week").replaceChildren(...days);
    $("range").textContent = monday + " 起一周";
    const proposed = cal.bookings.filter((b) => b.status === "proposed");
    $("proposed").replaceChildren(...(proposed.length ? proposed.map((b) => FQ.el("li", {},
      FQ.el("a", { href: "#booking-" + b.id, onclick: (e) => { e.preventDefault(); showDetail(b.id); } },
        b.case + " " + b.type_name), " — 已提供" + b.slots.length + "个时间，等待当事人选择",
      b.mediator_accepted ? "（您已接受）" : "")) : [FQ.el("li", { class: "muted" }, "暂无")]));
  }

  async function showDetail(id) {
    const b = await FQ.api("GET", "/api/v1/booking/bookings/" + id);
    current = b;
    $("detail").hidden = false;
    $("d-title").textContent = `案件 ${b.case} · ${b.type_name}`;
    $("d-status").textContent = b.status_name + (b.outcome_name ? "（" + b.outcome_name + "）" : "");
    $("d-when").textContent = b.when || "时间待定";
    $("d-when").dataset.start = b.starts_at || "";
    $("d-place").textContent = b.mode_name + " · " + (b.place || "");
    $("d-case").href = "/console/cases/" + encodeURIComponent(b.case) + "#bookings";
    $("d-parties").replaceChildren(...b.parties.map((p) => FQ.el("li", {},
      FQ.el("input", { type: "checkbox", class: "absent", value: p.id, "aria-label": "未到场" }), " ",
      p.role_name + " " + p.name + "：" + (p.confirmed ? "已确认" : "待确认") +
      (p.consented ? " · 已同意调解" : "") + (p.no_show ? " · 未到场" : "") +
      (p.reschedule_reason ? " · 申请改期：" + p.reschedule_reason : ""))));
    $("d-reason").textContent = b.reason ? "原因：" + b.reason : "";
    const open = ["proposed", "pending"].includes(b.status);
    $("d-accept").hidden = !open;
    $("accept").hidden = b.mediator_accepted;
    $("d-notes").hidden = false;
    $("notes").value = b.notes || "";
    const started = b.starts_at && new Date(b.starts_at) <= new Date();
    $("d-outcome").hidden = !(b.status === "confirmed" && started);
    $("detail").scrollIntoView({ behavior: "smooth" });
  }

  async function act(action, body) {
    try {
      await FQ.api("POST", `/api/v1/booking/bookings/${current.id}/${action}`, body || {});
      FQ.msg("已保存", "info");
      await showDetail(current.id);
      await loadWeek();
    } catch (e) { FQ.msg(e.message, "error"); }
  }

  $("accept").addEventListener("click", () => act("accept"));
  $("decline").addEventListener("click", () => {
    const reason = $("decline-reason").value.trim();
    if (!reason) { FQ.msg("请填写婉拒原因", "error"); return; }
    act("decline", { reason });
  });
  $("save-notes").addEventListener("click", () => act("notes", { notes: $("notes").value }));
  $("complete").addEventListener("click", () => act("complete", { outcome: $("outcome").value, notes: $("notes").value }));
  $("noshow").addEventListener("click", () => act("no_show", {
    party_ids: [...document.querySelectorAll(".absent:checked")].map((x) => Number(x.value)),
  }));
  $("prev").addEventListener("click", () => { shift(-7); loadWeek().catch((e) => FQ.msg(e.message, "error")); });
  $("next").addEventListener("click", () => { shift(7); loadWeek().catch((e) => FQ.msg(e.message, "error")); });
  $("this").addEventListener("click", () => { monday = thisMonday(); loadWeek().catch((e) => FQ.msg(e.message, "error")); });

  // Whose calendar: ?mediator= (staff), the signed-in user's own registry entry (matched by
  // username), the mediator of the booking in the path, or else a chooser (staff without an
  // entry of their own, who may read every calendar).
  async function whose() {
    if (mediatorId) return true;
    try {
      const me = await FQ.api("GET", "/api/v1/booking/me");
      mediatorId = me.id;
      $("who").textContent = "我的调解 · " + me.name;
      $("ics").value = me.ics_url;
      return true;
    } catch (e) {
      if (e.code === "not_in_registry") {
        $("chooser").hidden = false;
        $("calendar").hidden = true;
        $("chooser-note").textContent = e.message;
        return false;
      }
      if (e.code !== "not_a_mediator") throw e;
    }
    const m = location.pathname.match(/\/console\/booking\/(\d+)$/);
    if (m) {
      const b = await FQ.api("GET", "/api/v1/booking/bookings/" + m[1]);
      mediatorId = b.mediator.id;
      $("who").textContent = "调解员日程 · " + b.mediator.name;
      return true;
    }
    await chooser();
    return false;
  }

  async function chooser() {
    $("chooser").hidden = false;
    $("calendar").hidden = true;
    let reg;
    try {
      reg = await FQ.api("GET", "/api/v1/booking/registry");
    } catch (e) {
      $("chooser-note").textContent = "您的账号尚未登记在调解员名册中，请联系管理员在名册中填写您的登录账号。";
      return;
    }
    const active = reg.mediators.filter((x) => x.status !== "inactive");
    $("chooser-note").textContent = active.length
      ? "您的账号不是名册中的调解员。请选择要查看的调解员："
      : "调解员名册为空，请先在名册中添加调解员。";
    $("mediators").replaceChildren(...active.map((x) => FQ.el("li", {},
      FQ.el("a", { href: "/console/booking/?mediator=" + x.id, class: "button secondary" },
        x.name + (x.title ? "（" + x.title + "）" : "")))));
  }

  async function start() {
    try {
      if (!(await whose())) return;
      const year = cnDate(new Date()).getFullYear();
      $("year").textContent = year;
      const tally = await FQ.api("GET", `/api/v1/booking/mediators/${mediatorId}/subsidy?year=${year}`);
      $("subsidy").replaceChildren(...tally.filter((t) => t.cases).map((t) =>
        FQ.el("tr", {}, FQ.el("td", {}, t.month), FQ.el("td", {}, t.cases), FQ.el("td", {}, t.amount_yuan.toFixed(2)))));
      monday = params.get("week") || thisMonday();
      await loadWeek();
      const m = location.pathname.match(/\/console\/booking\/(\d+)$/) || location.hash.match(/booking-(\d+)/);
      if (m) await showDetail(Number(m[1]));
    } catch (e) { FQ.msg(e.message, "error"); }
  }
  start();
})();
