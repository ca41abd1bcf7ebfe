// The classroom dashboard: polls /classroom/api/state with the instructor token (read from the URL
// fragment, which never reaches a server), draws the seats, and sends the instructor's controls.
"use strict";
(function () {
  const $ = (id) => document.getElementById(id);
  const money = (x) => "$" + Number(x || 0).toFixed(4);
  let token = new URLSearchParams(location.hash.slice(1)).get("token") || sessionStorage.getItem("classroom-token");
  let paused = false;
  const editing = new Set();

  async function api(path, body) {
    const init = { headers: { "Authorization": "Bearer " + token } };
    if (body !== undefined) {
      init.method = "POST";
      init.headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    const r = await fetch("/classroom/api/" + path, init);
    const data = await r.json();
    if (!r.ok) throw new Error((data.error && data.error.message) || ("HTTP " + r.status));
    return data;
  }

  function cell(text, cls) {
    const td = document.createElement("td");
    if (cls) td.className = cls;
    td.textContent = text;
    return td;
  }

  function draw(state) {
    const room = state.room;
    paused = room.paused;
    document.body.classList.toggle("paused", paused);
    $("pause").textContent = paused ? "Resume room" : "Pause room";
    $("room-spent").textContent = money(room.spent_usd);
    $("room-cap").textContent = room.cap_usd === null ? "no room cap" : "room cap $" + room.cap_usd.toFixed(2);
    $("room-calls").textContent = room.calls;
    $("room-errors").textContent = room.errors;
    $("room-saved").textContent = money(room.saved_usd);
    $("room-hits").textContent = room.cache_hits + " cache hits";
    $("status").textContent = (paused ? "PAUSED · " : "") + room.seats + " seats · models: " + room.models.join(", ") +
      " · updated " + new Date().toLocaleTimeString();
    const body = $("seats");
    for (const s of state.seats) {
      let tr = body.querySelector('tr[data-seat="' + CSS.escape(s.seat) + '"]');
      if (!tr) {
        tr = document.createElement("tr");
        tr.dataset.seat = s.seat;
        body.appendChild(tr);
      }
      const capInput = tr.querySelector("input");
      const keep = capInput && editing.has(s.seat) ? capInput.value : s.cap_usd.toFixed(2);
      tr.replaceChildren();
      tr.className = s.revoked ? "revoked" : "";
      tr.appendChild(cell(s.seat, "seat"));
      tr.appendChild(cell(money(s.spent_usd) + " / $" + s.cap_usd.toFixed(2), "spent"));
      const barTd = document.createElement("td");
      const bar = document.createElement("div");
      bar.className = "bar";
      const fill = document.createElement("div");
      const frac = s.cap_usd > 0 ? Math.min(1, (s.spent_usd + s.reserved_usd) / s.cap_usd) : 1;
      fill.style.width = (frac * 100).toFixed(1) + "%";
      if (frac >= 0.999) fill.className = "full";
      bar.appendChild(fill);
      barTd.appendChild(bar);
      tr.appendChild(barTd);
      tr.appendChild(cell(money(s.reserved_usd), "reserved"));
      tr.appendChild(cell(String(s.calls), "calls"));
      tr.appendChild(cell(String(s.errors), "errors"));
      tr.appendChild(cell(String(s.cache_hits), "hits"));
      tr.appendChild(cell(money(s.saved_usd), "saved"));
      const capTd = document.createElement("td");
      const input = document.createElement("input");
      input.type = "number"; input.min = "0"; input.step = "0.05"; input.value = keep;
      input.setAttribute("aria-label", "cap for " + s.seat);
      input.addEventListener("focus", () => editing.add(s.seat));
      input.addEventListener("blur", () => editing.delete(s.seat));
      const set = document.createElement("button");
      set.type = "button"; set.textContent = "Set cap"; set.className = "set-cap";
      set.addEventListener("click", () => act(api("seats/" + encodeURIComponent(s.seat) + "/cap",
        { cap_usd: Number(input.value) }), s.seat));
      capTd.append(input, " ", set);
      tr.appendChild(capTd);
      const actions = cell("", "actions");
      const revoke = document.createElement("button");
      revoke.type = "button"; revoke.className = "revoke";
      revoke.textContent = s.revoked ? "Restore" : "Revoke";
      revoke.addEventListener("click", () => act(api("seats/" + encodeURIComponent(s.seat) + "/revoke",
        { revoked: !s.revoked }), s.seat));
      actions.appendChild(revoke);
      tr.appendChild(actions);
    }
  }

  async function act(promise, seat) {
    try {
      if (seat) editing.delete(seat);
      draw(await promise);
    } catch (e) {
      $("status").textContent = "error: " + e.message;
    }
  }

  async function poll() {
    try {
      draw(await api("state"));
    } catch (e) {
      $("status").textContent = "cannot read the room: " + e.message;
      if (/instructor token/.test(e.message)) { $("login").hidden = false; return; }
    }
    setTimeout(poll, 2000);
  }

  function start() {
    if (location.hash) history.replaceState(null, "", location.pathname);  // the token leaves the address bar
    $("pause").addEventListener("click", () => act(api("room", { paused: !paused })));
    $("all-cap-button").addEventListener("click", () => act(api("seats/*/cap", { cap_usd: Number($("all-cap").value) })));
    $("login-button").addEventListener("click", () => {
      token = $("token").value;
      sessionStorage.setItem("classroom-token", token);
      $("login").hidden = true;
      poll();
    });
    if (!token) { $("login").hidden = false; $("status").textContent = "enter the instructor token"; return; }
    sessionStorage.setItem("classroom-token", token);
    poll();
  }
  document.addEventListener("DOMContentLoaded", start);
})();
