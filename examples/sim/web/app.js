// The demo page of `roster-sim serve` (docs/serve.md): a Discord-like member
// list kept from GUILD_MEMBER_LIST_UPDATE dispatches. Plain JavaScript, no
// build step, no framework.
//
// The client model (docs/frames.md, "The client model"): one array of rows
// per member list id, in which a row is unknown (a hole) or known (a group
// header or a member). The ops of a dispatch apply in order: SYNC writes
// rows in place, UPDATE replaces one, INSERT and DELETE shift the rows
// after them, INVALIDATE forgets a range; then the array is resized to the
// list's length, the sum of count + 1 over the groups.
'use strict';

(function () {
  const ROW_H = 42;     // px: every row, header or member (a fixed height)
  const CHUNK = 100;    // rows per chunk: what the client subscribes to
  const OVERSCAN = 4;   // rows drawn above and below the viewport

  const $ = (id) => document.getElementById(id);
  const scroller = $('scroller');
  const spacer = $('spacer');

  const demo = {
    ws: null,
    connected: false,
    ready: false,
    seq: 0,              // last "s" received
    sessionId: null,
    user: null,
    guildId: null,
    roles: new Map(),    // role id -> {name, color, position}
    channels: [],        // READY's channels
    current: null,       // the channel shown
    subscribed: null,    // the channel our last request (not refused) was for
    previous: null,      // the one before it
    refused: new Map(),  // channel id -> reason
    ranges: [],          // the ranges last requested for the current channel
    lists: new Map(),    // member list id -> {rows, groups, member_count, online_count}
    framesTotal: 0,
    bytesTotal: 0,
    recent: [],          // [time, bytes] of the last second's messages
    oplog: [],
    paused: false,
  };
  window.rosterDemo = demo;

  // ---- The client model ----------------------------------------------------

  function listModel(id) {
    let m = demo.lists.get(id);
    if (!m) {
      m = { rows: [], groups: [], member_count: 0, online_count: 0 };
      demo.lists.set(id, m);
    }
    return m;
  }

  function applyUpdate(d) {
    const m = listModel(d.id);
    const rows = m.rows;
    for (const op of d.ops) {
      switch (op.op) {
        case 'SYNC':
          for (let k = 0; k < op.items.length; k++) rows[op.range[0] + k] = op.items[k];
          break;
        case 'UPDATE':
          rows[op.index] = op.item;
          break;
        case 'INSERT':
          if (op.index > rows.length) rows.length = op.index;
          rows.splice(op.index, 0, op.item);
          break;
        case 'DELETE':
          if (op.index < rows.length) rows.splice(op.index, 1);
          break;
        case 'INVALIDATE':
          for (let i = op.range[0]; i <= op.range[1] && i < rows.length; i++) delete rows[i];
          break;
        default:
          throw new Error('unknown op ' + op.op);
      }
      logOp(d.id, op);
    }
    m.groups = d.groups;
    m.member_count = d.member_count;
    m.online_count = d.online_count;
    let length = 0;
    for (const g of d.groups) length += g.count + 1;
    rows.length = length;
  }

  function logOp(id, op) {
    let text = op.op + ' ';
    text += op.range ? '[' + op.range[0] + ', ' + op.range[1] + ']' : op.index;
    if (op.op === 'SYNC') text += ' (' + op.items.length + ' rows)';
    if (op.item && op.item.member) text += ' ' + op.item.member.user.username;
    if (op.item && op.item.group) {
      text += ' header ' + groupName(op.item.group.id) + ' \u2014 ' + op.item.group.count;
    }
    demo.oplog.unshift(id + ': ' + text);
    demo.oplog.length = Math.min(demo.oplog.length, 12);
  }

  // ---- The gateway -----------------------------------------------------------

  function connect() {
    const ws = new WebSocket('ws://' + location.host + '/gateway');
    demo.ws = ws;
    let heartbeat = null;
    ws.onopen = () => { demo.connected = true; setText('conn', 'open'); };
    ws.onclose = (e) => {
      demo.connected = false;
      demo.ready = false;
      clearInterval(heartbeat);
      setText('conn', 'closed (' + e.code + ')');
    };
    ws.onmessage = (e) => {
      const text = e.data;
      demo.framesTotal++;
      demo.bytesTotal += text.length;
      demo.recent.push([performance.now(), text.length]);
      const msg = JSON.parse(text);
      if (msg.s) demo.seq = msg.s;
      if (msg.op === 10) {
        heartbeat = setInterval(() => send({ op: 1, d: demo.seq }), msg.d.heartbeat_interval);
        send({ op: 2, d: { token: 'demo', intents: 0,
                           properties: { os: 'linux', browser: 'roster-demo', device: '' } } });
      } else if (msg.op === 0) {
        dispatch(msg.t, msg.d);
      }
    };
  }

  function send(obj) {
    if (demo.ws && demo.ws.readyState === WebSocket.OPEN) demo.ws.send(JSON.stringify(obj));
  }

  function dispatch(type, d) {
    if (type === 'READY') {
      demo.sessionId = d.session_id;
      demo.user = d.user;
      const g = d.guilds[0];
      demo.guildId = g.id;
      for (const r of g.roles) demo.roles.set(r.id, r);
      demo.channels = g.channels;
      setText('guild-name', g.name);
      setText('me-name', d.user.username + ' (session ' + d.session_id + ')');
      demo.ready = true;
      drawChannels();
      switchChannel(g.channels[0].id);
    } else if (type === 'GUILD_MEMBER_LIST_UPDATE') {
      applyUpdate(d);
      if (currentChannel() && currentChannel().member_list_id === d.id) scheduleDraw();
    } else if (type === 'ROSTER_REQUEST_REFUSED') {
      const id = d.channel_id;
      demo.refused.set(id, d.reason);
      if (demo.subscribed === id) demo.subscribed = demo.previous;
      drawChannels();
      scheduleDraw();
    }
  }

  function currentChannel() {
    return demo.channels.find((c) => c.id === demo.current) || null;
  }

  // The rows drawn: those in view and OVERSCAN more on each side.
  function drawnRows() {
    const top = scroller.scrollTop;
    return [Math.max(0, Math.floor(top / ROW_H) - OVERSCAN),
            Math.floor((top + scroller.clientHeight) / ROW_H) + OVERSCAN];
  }

  // The chunks of the rows drawn, and chunk 0 (as the real client asks for
  // them): every row drawn is in a chunk subscribed to.
  function wantedRanges() {
    const [first, last] = drawnRows();
    const chunks = new Set([0, Math.floor(first / CHUNK), Math.floor(last / CHUNK)]);
    return [...chunks].sort((a, b) => a - b).map((c) => [c * CHUNK, c * CHUNK + CHUNK - 1]);
  }

  function subscribe(force) {
    if (!demo.ready || !demo.current) return;
    const ranges = wantedRanges();
    if (!force && JSON.stringify(ranges) === JSON.stringify(demo.ranges)) return;
    demo.ranges = ranges;
    const channels = {};
    // Leave the previous channel's list (unless the new one shares it: the
    // adapter joins the ranges of channels that share a list).
    if (demo.subscribed && demo.subscribed !== demo.current) channels[demo.subscribed] = [];
    channels[demo.current] = ranges;
    // A refused request changes nothing (all or nothing): the previous
    // subscription then stands.
    demo.previous = demo.subscribed;
    demo.subscribed = demo.current;
    send({ op: 14, d: { guild_id: demo.guildId, typing: true, activities: true,
                        threads: false, channels: channels } });
    setText('ranges', JSON.stringify(ranges));
  }

  function switchChannel(id) {
    if (demo.refused.has(id)) demo.refused.delete(id);  // ask again: it may have changed
    demo.current = id;
    scroller.scrollTop = 0;
    const c = currentChannel();
    setText('channel-title', '# ' + c.name);
    setText('channel-topic', c.topic);
    setText('list-id', c.member_list_id);
    drawChannels();
    subscribe(true);
    scheduleDraw();
  }

  // ---- Drawing -----------------------------------------------------------------

  let drawPending = false;
  function scheduleDraw() {
    if (drawPending) return;
    drawPending = true;
    requestAnimationFrame(() => { drawPending = false; draw(); });
  }

  function setText(id, text) { $(id).textContent = text; }

  function drawChannels() {
    const ul = $('channel-list');
    ul.textContent = '';
    for (const c of demo.channels) {
      const li = document.createElement('li');
      li.dataset.channel = c.id;
      if (c.id === demo.current) li.className = 'current';
      const name = document.createElement('span');
      name.textContent = '# ' + c.name;
      li.appendChild(name);
      const side = document.createElement('span');
      if (demo.refused.has(c.id)) {
        side.className = 'lock';
        side.textContent = 'refused';
      } else {
        side.className = 'lid';
        side.textContent = c.member_list_id;
      }
      li.appendChild(side);
      li.onclick = () => switchChannel(c.id);
      ul.appendChild(li);
    }
  }

  function groupName(id) {
    if (id === 'online') return 'Online';
    if (id === 'offline') return 'Offline';
    const r = demo.roles.get(id);
    return r ? r.name : id;
  }

  function groupColor(id) {
    const r = demo.roles.get(id);
    return r && r.color ? r.color : null;
  }

  // Where each group's header is: [{id, count, start}].
  function groupStarts(m) {
    const out = [];
    let at = 0;
    for (const g of m.groups) {
      out.push({ id: g.id, count: g.count, start: at });
      at += g.count + 1;
    }
    return out;
  }

  function draw() {
    const c = currentChannel();
    if (!c) return;
    const refused = demo.refused.get(c.id);
    const box = $('refused');
    if (refused !== undefined) {
      box.hidden = false;
      box.innerHTML = '<span class="big">Private channel</span>';
      box.appendChild(document.createTextNode(
        'The server refused the member list of #' + c.name + ': ' + refused + '.'));
      spacer.textContent = '';
      spacer.style.height = '0px';
      $('sticky-header').hidden = true;
      return;
    }
    box.hidden = true;
    const m = listModel(c.member_list_id);
    const rows = m.rows;
    spacer.style.height = rows.length * ROW_H + 'px';
    const top = scroller.scrollTop;
    const [first, lastDrawn] = drawnRows();
    const last = Math.min(rows.length - 1, lastDrawn);
    const starts = groupStarts(m);
    const groupAt = (i) => {
      let g = null;
      for (const s of starts) { if (s.start <= i) g = s; else break; }
      return g;
    };
    const frag = document.createDocumentFragment();
    for (let i = first; i <= last; i++) frag.appendChild(rowElement(i, rows[i], groupAt(i)));
    spacer.textContent = '';
    spacer.appendChild(frag);
    // The sticky header: the section of the first row in view.
    const sticky = $('sticky-header');
    const g = groupAt(Math.floor(top / ROW_H));
    if (g && top > 0) {
      sticky.hidden = false;
      sticky.textContent = groupName(g.id) + ' \u2014 ' + g.count;
      sticky.dataset.group = g.id;
    } else {
      sticky.hidden = true;
    }
    setText('counts', m.member_count + ' members, ' + m.online_count + ' online, ' +
                      rows.length + ' rows, ' + m.groups.length + ' sections');
  }

  function rowElement(i, item, group) {
    const el = document.createElement('div');
    el.style.top = i * ROW_H + 'px';
    el.dataset.index = i;
    if (item === undefined) {
      el.className = 'row placeholder';
      el.dataset.kind = 'unknown';
      el.innerHTML = '<div class="bar"></div>';
    } else if (item.group) {
      el.className = 'row header';
      el.dataset.kind = 'header';
      el.dataset.group = item.group.id;
      el.dataset.count = item.group.count;
      el.textContent = groupName(item.group.id) + ' \u2014 ' + item.group.count;
    } else {
      const mem = item.member;
      const status = mem.presence ? mem.presence.status : 'offline';
      el.className = 'row member ' + status;
      el.dataset.kind = 'member';
      el.dataset.id = mem.user.id;
      el.dataset.status = status;
      const av = document.createElement('div');
      av.className = 'avatar';
      av.style.background = avatarColor(mem.user.id);
      av.textContent = mem.user.username.charAt(0).toUpperCase();
      const dot = document.createElement('span');
      dot.className = 'dot ' + status;
      av.appendChild(dot);
      const name = document.createElement('span');
      name.className = 'name';
      name.textContent = mem.nick || mem.user.username;
      const color = group && groupColor(group.id);
      if (color) name.style.color = color;
      el.appendChild(av);
      el.appendChild(name);
    }
    return el;
  }

  function avatarColor(id) {
    const palette = ['#5865f2', '#57f287', '#fee75c', '#eb459e', '#ed4245', '#3ba55c', '#faa61a'];
    let h = 0;
    for (let k = id.length - 6; k < id.length; k++) h = (h * 31 + id.charCodeAt(k)) >>> 0;
    return palette[h % palette.length];
  }

  // ---- Statistics and churn control -----------------------------------------------

  function drawStats() {
    const now = performance.now();
    while (demo.recent.length && demo.recent[0][0] < now - 1000) demo.recent.shift();
    let bytes = 0;
    for (const r of demo.recent) bytes += r[1];
    setText('fps', String(demo.recent.length));
    setText('bps', bytes.toLocaleString('en'));
    setText('frames-total', demo.framesTotal.toLocaleString('en'));
    setText('bytes-total', demo.bytesTotal.toLocaleString('en'));
    setText('seq', String(demo.seq));
    const log = $('oplog');
    log.textContent = '';
    for (const line of demo.oplog) {
      const li = document.createElement('li');
      li.textContent = line;
      log.appendChild(li);
    }
  }

  function churn(query) {
    return fetch('/api/churn?' + query, { method: 'POST' })
      .then((r) => r.json())
      .then(showChurn);
  }

  function showChurn(s) {
    demo.paused = s.paused;
    $('rate').value = s.rate;
    setText('rate-value', String(s.rate));
    setText('pause', s.paused ? 'Resume' : 'Pause');
  }

  $('rate').addEventListener('input', () => setText('rate-value', $('rate').value));
  $('rate').addEventListener('change', () => churn('rate=' + $('rate').value));
  $('pause').addEventListener('click', () => churn('paused=' + (demo.paused ? 0 : 1)));
  scroller.addEventListener('scroll', () => { subscribe(false); scheduleDraw(); });
  window.addEventListener('resize', () => { subscribe(false); scheduleDraw(); });
  setInterval(drawStats, 250);

  // For the browser test (tests/browser): what is drawn, row by row.
  demo.renderedRows = function () {
    const out = [];
    for (const el of spacer.querySelectorAll('.row')) {
      const r = { index: Number(el.dataset.index), kind: el.dataset.kind };
      if (r.kind === 'header') {
        r.group = el.dataset.group;
        r.count = Number(el.dataset.count);
        r.text = el.textContent;
      } else if (r.kind === 'member') {
        r.id = el.dataset.id;
        r.status = el.dataset.status;
        r.name = el.querySelector('.name').textContent;
        r.dot = el.querySelector('.dot').className;
      }
      out.push(r);
    }
    return out;
  };
  // Rows wholly in view that something else covers (the sticky header
  // excepted, over the top row): what a user could not see.
  demo.coveredRows = function () {
    const box = scroller.getBoundingClientRect();
    const sticky = $('sticky-header');
    const below = sticky.hidden ? box.top : sticky.getBoundingClientRect().bottom;
    const out = [];
    for (const el of spacer.querySelectorAll('.row')) {
      const r = el.getBoundingClientRect();
      if (r.top < below || r.bottom > box.bottom) continue;
      const hit = document.elementFromPoint(r.left + 20, r.top + r.height / 2);
      if (!hit || !el.contains(hit)) out.push(Number(el.dataset.index));
    }
    return out;
  };
  // The section named by the sticky header, or null when it is hidden.
  demo.stickySection = function () {
    const sticky = $('sticky-header');
    return sticky.hidden ? null : sticky.dataset.group;
  };
  demo.switchChannel = switchChannel;
  demo.scrollToRow = function (i) { scroller.scrollTop = i * ROW_H; };
  demo.draw = draw;

  fetch('/api/state').then((r) => r.json()).then(showChurn);
  connect();
})();
