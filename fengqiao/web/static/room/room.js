// Mediation room page: plain ES2017, no build step; runs in WeChat's browser and web-view.
(function () {
  "use strict";
  var T = window.ROOM_TEXTS;
  var $ = function (id) { return document.getElementById(id); };
  var roomId = decodeURIComponent(location.pathname.split("/").pop());
  var token = new URLSearchParams(location.search).get("t") || "";
  // One id per device: the same link from the same phone may reconnect; another device may not.
  var device = localStorage.getItem("fq-room-device");
  if (!device) {
    device = Math.random().toString(36).slice(2) + Date.now().toString(36);
    localStorage.setItem("fq-room-device", device);
  }
  var ws = null, pc = null, localStream = null, iceServers = [], me = null, ended = false;
  var slotByMid = {}, tiles = {};
  window.roomState = { slotsPlaying: 0, connected: false, messages: [] };

  function status(text) { $("status").textContent = text; }
  function send(obj) { if (ws && ws.readyState === 1) ws.send(JSON.stringify(obj)); }

  function connect() {
    status(T.connecting);
    var proto = location.protocol === "https:" ? "wss:" : "ws:";
    ws = new WebSocket(proto + "//" + location.host + "/ws/rooms/" + encodeURIComponent(roomId));
    ws.onopen = function () { send({ type: "join", token: token, device: device }); };
    ws.onmessage = function (ev) { handle(JSON.parse(ev.data)); };
    ws.onclose = function () {
      closePeer();
      if (!ended) { status(T.disconnected); setTimeout(connect, 2000); }
    };
  }

  function handle(msg) {
    window.roomState.messages.push(msg.type);
    switch (msg.type) {
      case "welcome":
        me = msg; iceServers = msg.ice_servers || [];
        $("me").textContent = msg.label;
        if (msg.role === "mediator") { document.body.classList.add("mediator"); $("mediator-panel").hidden = false; }
        break;
      case "notice":
        $("notice-text").textContent = msg.text;
        if ($("notice").showModal) $("notice").showModal(); else $("notice").setAttribute("open", "");
        break;
      case "waiting": status(msg.text); break;
      case "offer": answer(msg); break;
      case "layout": layout(msg.slots); break;
      case "roster": roster(msg); break;
      case "caucus": status(msg.text); break;
      case "chat": case "comment": addChat(msg); break;
      case "evidence": addEvidence(msg); break;
      case "mute_request": status(msg.text); setMic(false); break;
      case "removed": case "ended":
        ended = true; status(msg.text || msg.message || T.ended); closePeer(); break;
      case "error":
        status(msg.message);
        if (["in_use", "removed", "consent_refused", "room_ended", "room_expired", "expired",
             "too_early", "no_room", "wrong_room", "bad_signature", "malformed"].indexOf(msg.code) >= 0) ended = true;
        break;
    }
  }

  function explainMediaError(err) {
    return T[err && err.name] || (T.mediaUnknown + (err && (err.message || err.name)));
  }

  async function getMedia() {
    if (!navigator.mediaDevices || !window.RTCPeerConnection) throw { name: "noWebRTC" };
    if (localStream) return localStream;
    try {
      localStream = await navigator.mediaDevices.getUserMedia({
        audio: { echoCancellation: true, noiseSuppression: true },
        video: { facingMode: "user", width: { ideal: 640 }, height: { ideal: 480 }, frameRate: { ideal: 15 } },
      });
    } catch (err) {
      if (err && err.name === "NotFoundError") {  // no camera: join with the microphone only
        localStream = await navigator.mediaDevices.getUserMedia({ audio: true });
      } else { throw err; }
    }
    $("local").srcObject = localStream;
    return localStream;
  }

  async function answer(offer) {
    status(T.waitingMedia);
    var stream;
    try { stream = await getMedia(); } catch (err) { status(explainMediaError(err)); return; }
    closePeer();
    pc = new RTCPeerConnection({ iceServers: iceServers });
    slotByMid = {};
    offer.slots.forEach(function (s) { slotByMid[s.audio] = s.index; slotByMid[s.video] = s.index; });
    pc.ontrack = function (ev) {
      var index = slotByMid[ev.transceiver.mid];
      if (index === undefined) return;
      var tile = tileFor(index), video = tile.querySelector("video");
      if (!video.srcObject) video.srcObject = new MediaStream();
      video.srcObject.addTrack(ev.track);
      video.play().catch(function () {});
    };
    pc.onconnectionstatechange = function () {
      window.roomState.connected = pc && pc.connectionState === "connected";
      if (window.roomState.connected) status(T.inRoom);
    };
    await pc.setRemoteDescription({ type: "offer", sdp: offer.sdp });
    pc.getTransceivers().forEach(function (t) {
      var kind = t.mid === offer.up.audio ? "audio" : t.mid === offer.up.video ? "video" : null;
      if (!kind) return;
      var track = stream.getTracks().filter(function (x) { return x.kind === kind; })[0];
      if (track) { t.sender.replaceTrack(track); t.direction = "sendonly"; }
      else { t.direction = "inactive"; }
    });
    await pc.setLocalDescription(await pc.createAnswer());
    await gathered(pc, 3000);  // aiortc takes the candidates in the SDP, not trickled
    send({ type: "answer", sdp: pc.localDescription.sdp });
  }

  function gathered(peer, ms) {
    return new Promise(function (resolve) {
      if (peer.iceGatheringState === "complete") return resolve();
      var timer = setTimeout(resolve, ms);
      peer.addEventListener("icegatheringstatechange", function () {
        if (peer.iceGatheringState === "complete") { clearTimeout(timer); resolve(); }
      });
    });
  }

  function closePeer() {
    if (pc) { pc.close(); pc = null; }
    Object.keys(tiles).forEach(function (k) { tiles[k].remove(); delete tiles[k]; });
  }

  function tileFor(index) {
    if (!tiles[index]) {
      var div = document.createElement("div");
      div.className = "tile"; div.hidden = true;
      div.innerHTML = '<video playsinline autoplay></video><span></span>';
      $("videos").appendChild(div);
      tiles[index] = div;
      div.querySelector("video").addEventListener("playing", function () { window.roomState.slotsPlaying++; });
    }
    return tiles[index];
  }

  function layout(slots) {
    slots.forEach(function (s) {
      var tile = tileFor(s.index);
      tile.hidden = !s.participant_id;  // hidden during a caucus: no media flows to it either
      tile.querySelector("span").textContent = s.label || "";
    });
  }

  function roster(msg) {
    $("rec").hidden = !msg.recording;
    if (!me || me.role !== "mediator") return;
    var ul = $("roster"); ul.innerHTML = "";
    msg.participants.forEach(function (p) {
      var li = document.createElement("li");
      li.textContent = p.label + "（" + (T.states[p.state] || p.state) + (p.reason ? "：" + p.reason : "") +
        (p.muted && p.muted.audio ? "，已静音" : "") + "）";
      if (p.id !== me.participant_id) {
        if (p.state === "waiting") li.appendChild(button(T.admit, { type: "admit", participant: p.id }));
        if (p.state === "admitted") li.appendChild(button(T.muteReq, { type: "mute_request", participant: p.id }));
        if (p.state !== "removed") li.appendChild(button(T.remove, { type: "remove", participant: p.id }));
      }
      li.dataset.participant = p.id; li.dataset.state = p.state;
      ul.appendChild(li);
    });
  }

  function button(text, message) {
    var b = document.createElement("button");
    b.type = "button"; b.textContent = text;
    b.dataset.action = message.type;
    b.onclick = function () { send(message); };
    return b;
  }

  function addChat(msg) {
    var p = document.createElement("p");
    p.textContent = msg.label + (msg.type === "comment" ? "【" + T.comment + "】" : "") + "：" + msg.text;
    $("chat").appendChild(p); $("chat").scrollTop = $("chat").scrollHeight;
  }

  function addEvidence(msg) {
    var url = "/h5/room/" + encodeURIComponent(roomId) + "/evidence/" + msg.id + "?t=" + encodeURIComponent(token);
    var div = document.createElement("div");
    div.className = "evidence-item"; div.dataset.id = msg.id;
    var title = document.createElement("p");
    title.textContent = msg.label + "：" + msg.filename;
    div.appendChild(title);
    if (msg.content_type.indexOf("image/") === 0) {
      var img = document.createElement("img"); img.src = url; img.alt = msg.filename; div.appendChild(img);
    } else {
      var a = document.createElement("a"); a.href = url; a.target = "_blank"; a.textContent = T.open; div.appendChild(a);
    }
    var form = document.createElement("form");
    var input = document.createElement("input"); input.placeholder = T.comment;
    var submit = document.createElement("button"); submit.textContent = T.send;
    form.appendChild(input); form.appendChild(submit);
    form.onsubmit = function (e) {
      e.preventDefault();
      if (input.value.trim()) send({ type: "comment", evidence_id: msg.id, text: input.value });
      input.value = "";
    };
    div.appendChild(form);
    $("evidence").appendChild(div);
  }

  function setMic(on) {
    if (!localStream) return;
    localStream.getAudioTracks().forEach(function (t) { t.enabled = on; });
    $("btn-mic").textContent = on ? T.micOff : T.micOn;
    sendMute();
  }
  function sendMute() {
    if (!localStream) return;
    var a = localStream.getAudioTracks()[0], v = localStream.getVideoTracks()[0];
    send({ type: "mute_state", audio: !(a && a.enabled), video: !(v && v.enabled) });
  }

  $("btn-accept").onclick = function () { $("notice").close ? $("notice").close() : $("notice").removeAttribute("open"); send({ type: "consent", accepted: true }); };
  $("btn-refuse").onclick = function () { $("notice").close ? $("notice").close() : $("notice").removeAttribute("open"); send({ type: "consent", accepted: false }); };
  $("btn-mic").onclick = function () {
    var a = localStream && localStream.getAudioTracks()[0]; if (a) setMic(!a.enabled);
  };
  $("btn-cam").onclick = function () {
    var v = localStream && localStream.getVideoTracks()[0]; if (!v) return;
    v.enabled = !v.enabled; $("btn-cam").textContent = v.enabled ? T.camOff : T.camOn; sendMute();
  };
  Array.prototype.forEach.call(document.querySelectorAll("[data-caucus]"), function (b) {
    b.onclick = function () { send({ type: "caucus", side: b.dataset.caucus || null }); };
  });
  $("btn-end").onclick = function () { send({ type: "end" }); };
  $("chat-form").onsubmit = function (e) {
    e.preventDefault();
    var text = $("chat-text").value.trim();
    if (text) send({ type: "chat", text: text });
    $("chat-text").value = "";
  };
  $("evidence-form").onsubmit = async function (e) {
    e.preventDefault();
    var file = $("evidence-file").files[0]; if (!file) return;
    var body = new FormData(); body.append("file", file, file.name);
    var resp = await fetch("/h5/room/" + encodeURIComponent(roomId) + "/evidence",
      { method: "POST", body: body, headers: { Authorization: "Bearer " + token } });
    if (!resp.ok) { var err = await resp.json().catch(function () { return {}; }); status((err.error || {}).message || resp.status); }
    $("evidence-file").value = "";
  };
  if (!window.RTCPeerConnection) status(T.noWebRTC);
  connect();
})();
