// Mediation room page: plain ES2017, no build step; runs in WeChat's browser and web-view.
//
// What the page shows is derived from one thing: the latest roster the server sent (each has a
// rising version). render() is called whenever anything changes (a roster, a new track, the
// camera opening, a reconnect), so the order in which those happen cannot leave a tile hidden.
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
  var stopped = false;  // this page gave way to a newer page with the same link
  var roster = null, rosterAt = 0, version = 0, offerSeq = 0, lastHeard = 0, restartTimer = null;
  var slotByMid = {}, tiles = {};
  var replyTo = null;  // during a caucus, the mediator's private answer goes to this person
  window.roomState = { slotsPlaying: 0, connected: false, messages: [], micLevel: 0, micPeak: 0 };

  function status(text) { $("status").textContent = text || ""; }
  function send(obj) { if (ws && ws.readyState === 1) ws.send(JSON.stringify(obj)); }
  function fill(text, values) {
    return text.replace(/\{(\w+)\}/g, function (_, k) { return values[k]; });
  }

  // -- the signalling socket ---------------------------------------------------------------
  function connect() {
    if (ended || stopped) return;
    status(T.connecting);
    var proto = location.protocol === "https:" ? "wss:" : "ws:";
    var socket = new WebSocket(proto + "//" + location.host + "/ws/rooms/" + encodeURIComponent(roomId));
    ws = socket;
    socket.onopen = function () { lastHeard = Date.now(); send({ type: "join", token: token, device: device }); };
    socket.onmessage = function (ev) {
      if (ws !== socket) return;  // a late message on a socket this page already gave up
      lastHeard = Date.now(); handle(JSON.parse(ev.data));
    };
    socket.onclose = function () {
      if (ws !== socket) return;
      ws = null; closePeer(); render();
      if (!ended && !stopped) { status(T.disconnected); setTimeout(connect, 1500); }
    };
  }
  // A dead network often closes nothing: ping, and reconnect when nothing is heard for 15 s.
  setInterval(function () {
    if (!ws || ws.readyState !== 1) return;
    if (Date.now() - lastHeard > 15000) { ws.close(); return; }
    send({ type: "ping" });
  }, 5000);
  window.addEventListener("online", function () {
    if (ws && ws.readyState === 1) ws.close(); else if (!ws) connect();
  });

  function handle(msg) {
    window.roomState.messages.push(msg.type);
    switch (msg.type) {
      case "welcome":
        me = msg; iceServers = msg.ice_servers || []; version = 0;
        $("me").textContent = msg.label;
        if (msg.role === "mediator") {
          document.body.classList.add("mediator"); $("mediator-panel").hidden = false;
          $("case-link").href = "/console/rooms/" + encodeURIComponent(roomId) + "/case";
        }
        break;
      case "notice":
        $("notice-text").textContent = msg.text;
        if ($("notice").showModal) { if (!$("notice").open) $("notice").showModal(); } else $("notice").setAttribute("open", "");
        break;
      case "waiting": status(""); $("waiting-text").textContent = msg.text; closePeer(); startPreview(); break;
      case "offer": answer(msg); break;
      case "roster": applyRoster(msg); break;
      case "caucus": status(msg.side ? "" : msg.text); break;  // the caucus bar says the rest
      case "chat": case "comment": addChat(msg); break;
      case "evidence": addEvidence(msg); break;
      case "mute_request": status(msg.text); setMic(false); break;
      case "removed": status(msg.message); closePeer(); break;
      case "readmitted": status(msg.text); break;
      case "replaced":
        stopped = true; closePeer(); stopLocal(); status(T.replaced);
        $("sound-on").hidden = false; $("sound-on").textContent = T.resume;
        $("sound-on").onclick = function () { location.reload(); };
        break;
      case "ended":
        ended = true; status(msg.text || T.ended); closePeer(); stopLocal(); break;
      case "error":
        status(msg.message);
        if (["in_use", "consent_refused", "room_ended", "room_expired", "expired", "too_early",
             "no_room", "wrong_room", "bad_signature", "malformed"].indexOf(msg.code) >= 0) ended = true;
        break;
    }
    render();
  }

  function applyRoster(msg) {
    if (msg.version <= version) return;  // an older roster overtaken by a newer one
    version = msg.version; roster = msg; rosterAt = Date.now();
  }

  // -- camera and microphone ---------------------------------------------------------------
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
    $("local").srcObject = localStream; $("preview").srcObject = localStream;
    $("local").play().catch(function () {}); $("preview").play().catch(function () {});
    meter(localStream);
    $("media-help").hidden = true;
    $("check-result").textContent = localStream.getVideoTracks().length ? T.checkOk : T.checkNoVideo;
    return localStream;
  }

  async function startPreview() {
    try { await getMedia(); } catch (err) { explainMediaError(err); }
  }

  function explainMediaError(err) {
    var name = err && err.name;
    $("media-error").textContent = T[name] || (T.mediaUnknown + (err && (err.message || name)));
    var steps = $("media-steps"); steps.innerHTML = "";
    if (name !== "noWebRTC") T.allowSteps.forEach(function (s) {
      var li = document.createElement("li"); li.textContent = s; steps.appendChild(li);
    });
    $("media-help").hidden = false;
  }

  var audioCtx = null, meterTimer = null;
  // A page opened without a tap (a reload) may not start sound until the first one.
  document.addEventListener("click", function () {
    if (audioCtx && audioCtx.state === "suspended") audioCtx.resume().catch(function () {});
  });
  function meter(stream) {
    var Ctx = window.AudioContext || window.webkitAudioContext;
    if (!Ctx || !stream.getAudioTracks().length) return;
    try { audioCtx = audioCtx || new Ctx(); } catch (e) { return; }
    var analyser = audioCtx.createAnalyser(); analyser.fftSize = 512;
    audioCtx.createMediaStreamSource(stream).connect(analyser);
    var data = new Uint8Array(analyser.fftSize);
    clearInterval(meterTimer);
    meterTimer = setInterval(function () {
      if (audioCtx.state === "suspended") audioCtx.resume().catch(function () {});
      analyser.getByteTimeDomainData(data);
      var sum = 0;
      for (var i = 0; i < data.length; i++) { var v = (data[i] - 128) / 128; sum += v * v; }
      var level = Math.min(1, Math.sqrt(sum / data.length) * 4);
      window.roomState.micLevel = level;
      window.roomState.micPeak = Math.max(window.roomState.micPeak, level);
      $("mic-level").style.width = Math.round(level * 100) + "%";
    }, 100);
  }

  function stopLocal() {
    if (localStream) localStream.getTracks().forEach(function (t) { t.stop(); });
  }

  // -- media with the server ---------------------------------------------------------------
  async function answer(offer) {
    var mine = ++offerSeq;
    status(T.waitingMedia);
    var stream = null;
    // Without camera and microphone one still sees and hears the others.
    try { stream = await getMedia(); } catch (err) { explainMediaError(err); }
    if (mine !== offerSeq) return;  // a newer offer came while the camera was opening
    closePeer();
    var peer = pc = new RTCPeerConnection({ iceServers: iceServers });
    slotByMid = {};
    offer.slots.forEach(function (s) { slotByMid[s.audio] = s.index; slotByMid[s.video] = s.index; });
    peer.ontrack = function (ev) {
      var index = slotByMid[ev.transceiver.mid];
      if (index === undefined || pc !== peer) return;
      var tile = tileFor(index);
      var el = tile.querySelector(ev.track.kind === "video" ? "video" : "audio");
      el.srcObject = new MediaStream([ev.track]);
      playAll();
      render();
    };
    peer.onconnectionstatechange = function () {
      if (pc !== peer) return;
      var state = peer.connectionState;
      window.roomState.connected = state === "connected";
      clearTimeout(restartTimer);
      if (state === "connected") status(T.inRoom);
      // Media lost while the socket lives (network switch): ask the server for a fresh offer.
      if (state === "failed") restartMedia();
      if (state === "disconnected") restartTimer = setTimeout(restartMedia, 5000);
    };
    await peer.setRemoteDescription({ type: "offer", sdp: offer.sdp });
    peer.getTransceivers().forEach(function (t) {
      var kind = t.mid === offer.up.audio ? "audio" : t.mid === offer.up.video ? "video" : null;
      if (!kind) return;
      var track = stream && stream.getTracks().filter(function (x) { return x.kind === kind; })[0];
      if (track) { t.sender.replaceTrack(track); t.direction = "sendonly"; }
      else { t.direction = "inactive"; }
    });
    await peer.setLocalDescription(await peer.createAnswer());
    await gathered(peer, 3000);  // aiortc takes the candidates in the SDP, not trickled
    if (pc !== peer) return;
    send({ type: "answer", sdp: peer.localDescription.sdp, peer: offer.peer });
    sendMute();
    render();
  }

  function restartMedia() { status(T.mediaReconnecting); send({ type: "media_restart" }); }

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
    offerSeq++;
    clearTimeout(restartTimer);
    if (pc) { pc.close(); pc = null; }
    window.roomState.connected = false;
    Object.keys(tiles).forEach(function (k) { tiles[k].remove(); delete tiles[k]; });
  }

  function tileFor(index) {
    if (!tiles[index]) {
      var div = document.createElement("div");
      div.className = "tile remote"; div.hidden = true; div.dataset.slot = index;
      // Video muted (so it may always autoplay); the sound plays through its own element.
      div.innerHTML = '<video playsinline autoplay muted></video><audio autoplay></audio><span></span>';
      $("videos").insertBefore(div, $("videos").querySelector(".tile.self"));
      tiles[index] = div;
      div.querySelector("video").addEventListener("playing", function () { window.roomState.slotsPlaying++; });
    }
    return tiles[index];
  }

  function playAll() {
    Object.keys(tiles).forEach(function (k) {
      var v = tiles[k].querySelector("video"), a = tiles[k].querySelector("audio");
      if (v.srcObject && v.paused) v.play().catch(function () {});
      if (a.srcObject && a.paused) a.play().catch(function () {
        $("sound-on").hidden = false;  // the browser wants a tap before playing sound
      });
    });
  }
  $("sound-on").onclick = function () {
    $("sound-on").hidden = true;
    if (audioCtx) audioCtx.resume().catch(function () {});
    playAll();
  };

  // -- rendering: everything below reads only `roster`, `me` and the tiles ----------------
  function render() {
    var r = roster, mine = null;
    if (r && me) mine = r.participants.filter(function (p) { return p.id === me.participant_id; })[0];
    var myState = ended || stopped ? "gone" : mine ? mine.state : "";
    $("rec").hidden = !(r && r.recording) || myState !== "admitted";  // only while I am recorded
    $("waiting-room").hidden = myState !== "waiting";
    $("room").hidden = myState !== "admitted";
    var bySlot = {};
    if (r) r.participants.forEach(function (p) {
      if (p.slot !== null && p.slot !== undefined && (!me || p.id !== me.participant_id)) bySlot[p.slot] = p;
    });
    Object.keys(tiles).forEach(function (k) {
      var tile = tiles[k], p = bySlot[k];
      tile.hidden = !p;  // hidden during a caucus: no media flows to it either
      tile.dataset.participant = p ? p.id : "";
      tile.querySelector("span").textContent = p ? p.label + (p.muted && p.muted.audio ? " · " + T.muted : "") : "";
    });
    $("videos").dataset.count = Object.keys(bySlot).length + 1;
    playAll();
    renderCaucus(r);
    renderRoster(r);
  }

  function clock(ms) {
    var s = Math.max(0, Math.floor(ms / 1000)), m = Math.floor(s / 60);
    return (m < 10 ? "0" : "") + m + ":" + (s % 60 < 10 ? "0" : "") + (s % 60);
  }

  function renderCaucus(r) {
    var on = !!(r && r.caucus) && !ended;
    var outside = on && !r.in_caucus;
    $("caucus-bar").hidden = !on;
    if (on) {
      var time = clock(r.caucus_ms + Date.now() - rosterAt);
      $("caucus-bar").textContent = outside ? fill(T.caucusOut, { time: time })
        : fill(T.caucusIn, { side: T.caucusWith[r.caucus] || "", time: time });
    }
    $("caucus-bar").classList.toggle("outside", outside);
    if (!on) replyTo = null;
    $("chat-text").placeholder = outside ? T.privateHint
      : replyTo ? fill(T.replyHint, { name: labelOf(replyTo) }) : on ? T.caucusHint : T.publicHint;
    $("btn-reply-cancel").hidden = !replyTo;
    $("btn-caucus-end").hidden = !on;
  }
  setInterval(function () { if (roster && roster.caucus) renderCaucus(roster); }, 1000);

  function renderRoster(r) {
    var ul = $("roster"); ul.innerHTML = "";
    if (!r || !me) return;
    var mediator = me.role === "mediator";
    r.participants.forEach(function (p) {
      var li = document.createElement("li"), self = p.id === me.participant_id;
      var line = document.createElement("span");
      line.textContent = p.label + (self ? T.you : "") + "：" + (T.states[p.state] || "") +
        (p.reason ? "（" + p.reason + "）" : "") + (p.muted && p.muted.audio ? "，" + T.muted : "");
      li.appendChild(line);
      if (mediator && !self) {
        var actions = document.createElement("span"); actions.className = "actions";
        if (p.state === "waiting") actions.appendChild(button(T.admit, { type: "admit", participant: p.id }));
        if (p.state === "admitted") {
          actions.appendChild(button(T.muteReq, { type: "mute_request", participant: p.id }));
          actions.appendChild(button(T.toWaiting, { type: "to_waiting", participant: p.id }));
        }
        if (p.state === "removed") actions.appendChild(button(T.readmit, { type: "readmit", participant: p.id }));
        else {
          var out = button(T.remove, { type: "remove", participant: p.id },
                           fill(T.confirmRemove, { name: p.label }));
          out.className = "danger subtle"; actions.appendChild(out);
        }
        li.appendChild(actions);
      }
      li.dataset.participant = p.id; li.dataset.state = p.state;
      ul.appendChild(li);
    });
  }

  function button(text, message, confirmText) {
    var b = document.createElement("button");
    b.type = "button"; b.textContent = text;
    b.dataset.action = message.type;
    b.onclick = function () {
      if (!confirmText) { send(message); return; }
      askConfirm(confirmText, text).then(function (yes) { if (yes) send(message); });
    };
    return b;
  }

  function askConfirm(text, okLabel) {
    var dialog = $("confirm");
    $("confirm-text").textContent = text; $("confirm-ok").textContent = okLabel;
    return new Promise(function (resolve) {
      function done(yes) {
        if (dialog.close) dialog.close(); else dialog.removeAttribute("open");
        resolve(yes);
      }
      $("confirm-ok").onclick = function () { done(true); };
      $("confirm-cancel").onclick = function () { done(false); };
      if (dialog.showModal) dialog.showModal(); else dialog.setAttribute("open", "");
    });
  }

  // -- chat and evidence -------------------------------------------------------------------
  function labelOf(id) {
    var p = roster && roster.participants.filter(function (x) { return x.id === id; })[0];
    return p ? p.label : "";
  }

  function addChat(msg) {
    var p = document.createElement("p");
    var to = msg.to ? " → " + labelOf(msg.to) : "";
    p.textContent = (msg.private ? T.privateTag : "") + msg.label + to +
      (msg.type === "comment" ? "【" + T.comment + "】" : "") + "：" + msg.text;
    if (msg.private) p.className = "private";
    // The mediator answers a private message privately, while the caucus lasts.
    if (msg.private && me && me.role === "mediator" && msg.from !== me.participant_id) {
      var reply = document.createElement("button");
      reply.type = "button"; reply.className = "reply"; reply.textContent = T.reply;
      reply.dataset.action = "reply";
      reply.onclick = function () { replyTo = msg.from; render(); $("chat-text").focus(); };
      p.appendChild(reply);
    }
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
      var link = document.createElement("a"); link.href = url; link.target = "_blank";
      var img = document.createElement("img"); img.src = url; img.alt = msg.filename;
      link.appendChild(img); div.appendChild(link);
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
    $("evidence").insertBefore(div, $("evidence").firstChild);
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

  function closeNotice() { if ($("notice").close) $("notice").close(); else $("notice").removeAttribute("open"); }
  $("btn-accept").onclick = function () {
    closeNotice(); send({ type: "consent", accepted: true });
    startPreview();  // within the tap: the camera prompt and sound are allowed now
    if (audioCtx) audioCtx.resume().catch(function () {});
  };
  $("btn-refuse").onclick = function () { closeNotice(); send({ type: "consent", accepted: false }); };
  $("btn-retry-media").onclick = async function () {
    localStream = null;
    await startPreview();
    if (localStream && pc) restartMedia();  // in the room already: send the camera now
  };
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
  $("btn-end").onclick = function () {
    askConfirm(T.confirmEnd, T.endButton).then(function (yes) { if (yes) send({ type: "end" }); });
  };
  $("chat-form").onsubmit = function (e) {
    e.preventDefault();
    var text = $("chat-text").value.trim();
    if (text) send(replyTo ? { type: "chat", text: text, to: replyTo } : { type: "chat", text: text });
    $("chat-text").value = "";
  };
  $("btn-reply-cancel").onclick = function () { replyTo = null; render(); };
  $("evidence-file").onchange = function () {
    var file = $("evidence-file").files[0];
    $("evidence-name").textContent = file ? file.name : T.chooseFile;
  };
  $("evidence-form").onsubmit = async function (e) {
    e.preventDefault();
    var file = $("evidence-file").files[0]; if (!file) return;
    var body = new FormData(); body.append("file", file, file.name);
    var resp = await fetch("/h5/room/" + encodeURIComponent(roomId) + "/evidence",
      { method: "POST", body: body, headers: { Authorization: "Bearer " + token } });
    if (!resp.ok) { var err = await resp.json().catch(function () { return {}; }); status((err.error || {}).message || resp.status); }
    $("evidence-file").value = ""; $("evidence-name").textContent = T.chooseFile;
  };
  if (!window.RTCPeerConnection) status(T.noWebRTC);
  connect();
})();
