// Resident H5: see the offered times, confirm one (with consent), ask to reschedule.
"use strict";
(function () {
  // By the booking link (/h5/booking/<token>), or in the mini-program's web-view as the
  // signed-in resident (/h5/me/cases/<code>/booking): the same actions, another address.
  const mine = location.pathname.match(/^\/h5\/me\/cases\/([^/]+)\/booking$/);
  const token = decodeURIComponent(location.pathname.split("/").pop());
  const base = mine ? "/api/v1/me/cases/" + mine[1] + "/booking"
    : "/api/v1/booking/party/" + encodeURIComponent(token);
  const $ = (id) => document.getElementById(id);
  let view = null;
  let later = null;

  // A confirmed video booking: inside the room window the party's own join link; before it,
  // when the room opens (the page looks again each minute, so a page left open gets the button).
  function renderRoom(room) {
    clearTimeout(later);
    $("room").hidden = !room;
    if (!room) return;
    $("room-go").hidden = !room.url;
    if (room.url) {
      $("room-go").href = room.url;
      $("room-text").textContent = "调解室已开放，请点击进入。进入前请允许使用摄像头和麦克风。";
    } else if (room.over) {
      $("room-text").textContent = "本次视频调解的时间已过。";
    } else {
      $("room-text").textContent = "调解室在开始前30分钟开放（调解时间：" + view.when + "），届时本页会出现“进入调解室”按钮。";
      later = setTimeout(load, 60000);
    }
  }

  function renderPick(v) {
    $("pick").hidden = false;
    $("summary").hidden = true;
    if (!v.choices.length) {
      $("pick").hidden = true;
      FQ.msg("中心正在为您安排调解员，请稍候。", "info");
      return;
    }
    $("choices").replaceChildren(...v.choices.map((m) => FQ.el("li", { class: "card" },
      FQ.el("strong", {}, m.name), " ", m.organisation || "",
      FQ.el("div", { class: "muted" }, m.reasons.join("；")),
      FQ.el("button", { type: "button", class: "pick", onclick: () => pick(m.id) }, "选这位调解员"))));
  }

  async function pick(id) {
    try {
      const mode = $("video").checked ? "video" : "onsite";
      render(await FQ.api("POST", base + "/mediator", { mediator_id: id, mode }));
      FQ.msg("已为您安排调解员，请选择时间", "info");
    } catch (e) { FQ.msg(e.message, "error"); }
  }

  function render(v) {
    view = v;
    if (v.status === "none") { renderRoom(null); renderPick(v); return; }
    $("pick").hidden = true;
    $("summary").hidden = false;
    $("title").textContent = v.type_name + "调解";
    $("code").textContent = v.case;
    $("mediator").textContent = v.mediator.name + (v.mediator.title ? "（" + v.mediator.title + "）" : "");
    $("mode").textContent = v.mode_name;
    $("place").textContent = v.place || "待定";
    $("status").textContent = v.status_name;
    $("fixed").hidden = !v.when;
    $("when").textContent = v.when || "";
    $("parties").replaceChildren(...v.parties.map((p) =>
      FQ.el("li", {}, p.role_name + " " + p.name + "：",
        FQ.el("span", { class: p.confirmed ? "ok" : "warn" }, p.confirmed ? "已确认" : "待确认"),
        p.id === v.me.id ? "（您）" : "")));
    const open = ["proposed", "pending", "confirmed"].includes(v.status);
    $("consent-card").hidden = v.me.consented || !open;
    const mine = v.me.confirmed;
    const choosing = open && !mine && v.status !== "confirmed";
    $("choose").hidden = !choosing;
    if (choosing) {
      const slots = v.status === "proposed" ? v.slots : v.slots.filter((s) => s.starts_at === v.starts_at);
      $("choose-title").textContent = v.status === "proposed" ? "请选择您方便的调解时间" : "对方已选定时间，请确认是否参加";
      $("slots").replaceChildren(...slots.map((s, i) =>
        FQ.el("label", { class: "slot" },
          FQ.el("input", { type: "radio", name: "slot", value: s.id, checked: i === 0 }),
          s.when + " — " + FQ.time(s.ends_at))));
      $("confirm").textContent = v.status === "proposed" ? "确认此时间" : "确认参加";
    }
    $("done").hidden = !mine;
    $("done-text").textContent = v.status === "confirmed"
      ? "调解已确认，请按时参加。开始前1天和1小时会提醒您。"
      : "您已确认，等待其他当事人和调解员确认。";
    $("resched").hidden = !open;
    renderRoom(v.room);
    if (!open) FQ.msg(v.reason ? v.status_name + "：" + v.reason : v.status_name, "info");
  }

  async function load() {
    try { render(await FQ.api("GET", base)); }
    catch (e) { FQ.msg(e.message, "error"); }
  }

  $("confirm").addEventListener("click", async () => {
    const picked = document.querySelector('input[name="slot"]:checked');
    if (!picked) { FQ.msg("请选择一个时间", "error"); return; }
    const consent = view.me.consented || $("consent").checked;
    if (!consent) { FQ.msg("请先勾选同意参加调解", "error"); return; }
    $("confirm").disabled = true;
    try {
      render(await FQ.api("POST", base + "/confirm", { slot_id: Number(picked.value), consent: true }));
      FQ.msg("已确认", "info");
    } catch (e) {
      FQ.msg(e.message, "error");
      await load();
    } finally { $("confirm").disabled = false; }
  });

  $("first").addEventListener("click", () => pick(null));

  $("ask").addEventListener("click", async () => {
    const reason = $("reason").value.trim();
    if (!reason) { FQ.msg("请填写原因", "error"); return; }
    try {
      render(await FQ.api("POST", base + "/reschedule", { reason }));
      $("reason").value = "";
      FQ.msg("已提交改期申请，请重新选择时间", "info");
    } catch (e) { FQ.msg(e.message, "error"); }
  });

  load();
})();
