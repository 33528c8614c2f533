// bulk-update ui: each button is one call of the local server, which calls the library.
"use strict";

const key = new URLSearchParams(location.search).get("key") || "";
const $ = (id) => document.getElementById(id);
const state = { columns: [], kept: [], review: null, checked: null, workspace: null };
window.bulkTimes = {};  // when Confirm was pressed, when the first progress came (for tests)

function withKey(path) {
  return path + (path.includes("?") ? "&" : "?") + "key=" + encodeURIComponent(key);
}

async function call(path, body) {
  const init = { method: "POST", headers: { "X-Key": key } };
  if (body instanceof FormData) {
    init.body = body;
  } else {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body || {});
  }
  const answer = await fetch(path, init);
  const data = await answer.json().catch(() => ({ error: answer.statusText }));
  if (!answer.ok) {
    throw new Error(data.error || answer.statusText);
  }
  return data;
}

// An error shows in the step (section) of the control that caused it, announced to screen
// readers (role="alert"); one that belongs to no step shows at the page's foot.
function alertOf(control) {
  const section = control && control.closest("section");
  if (!section) return $("error");
  let alert = section.querySelector(":scope > [role=alert]");
  if (!alert) {
    alert = element("p", null, { role: "alert", class: "error" });
    const heading = section.querySelector("h2");
    heading.after(alert);
  }
  return alert;
}

function showError(text, control) { alertOf(control).textContent = text; }

// While a job (Check, Preview, Run, Undo, Find) goes on, the buttons that would start another
// are disabled; each keeps what it would be otherwise (``want``) for when the jobs end.
const JOBS = ["check", "preview", "preview-all", "run", "undo", "find-button", "use-found"];
const wanted = {};
let jobs = 0;
JOBS.forEach((id) => { wanted[id] = !$(id).disabled; });
function want(id, enabled) { wanted[id] = enabled; $(id).disabled = !enabled || jobs > 0; }
function busy(delta) {
  jobs += delta;
  JOBS.forEach((id) => { $(id).disabled = jobs > 0 || wanted[id] === false; });
}

async function guarded(button, work) {
  const job = JOBS.includes(button.id) || button.id.startsWith("confirm-");
  if (job) busy(+1); else button.disabled = true;
  showError("", button);
  try { await work(); } catch (error) { showError(error.message, button); } finally {
    if (job) busy(-1); else button.disabled = false;
  }
}

// A job (Check, Preview, Run's review, Run, Undo, Find) is started by a POST (202) and followed
// through the server's events: its progress shows in its step (a progressbar, rows done, rate,
// time left) with Cancel (Stop for a run). It resolves with its result, or null if cancelled.
async function job(button, path, body) {
  const box = button.id === "confirm-run" ? $("progress-box") : jobBox(button);
  showProgress(box, { kind: "started" });
  box.hidden = false;
  try {
    await call(path, body);
    return await follow(box);
  } finally {
    box.hidden = true;
  }
}

function jobBox(button) {
  const section = button.closest("section");
  let box = section.querySelector(".job");
  if (!box) {
    box = element("div", null, { class: "job" });
    const cancel = element("button", "Cancel", { type: "button", class: "secondary" });
    cancel.addEventListener("click", () => call("/api/stop").catch((error) => showError(error.message, cancel)));
    box.append(element("progress", null, { "aria-label": "Progress" }), element("p", null, { role: "status" }), cancel);
    button.after(box);
  }
  return box;
}

function showProgress(box, event) {
  const bar = box.querySelector("progress"), text = box.querySelector("[role=status]");
  if (event.kind !== "progress") {
    bar.removeAttribute("value");  // not counting rows yet: reading the sheet, the workspace
    text.textContent = "starting: reading the sheet…";
    return;
  }
  if (window.bulkTimes.first === undefined) window.bulkTimes.first = performance.now();
  if (event.done > 0 && window.bulkTimes.firstRow === undefined) window.bulkTimes.firstRow = performance.now();
  bar.max = Math.max(event.total, 1);
  bar.value = event.done;
  const parts = Object.entries(event.counts).map(([status, n]) => `${n} ${status.replace("_", " ")}`);
  const left = event.seconds_left === null ? "" : `, about ${event.seconds_left} s left`;
  text.textContent = `${event.done} of ${event.total} rows done` + (parts.length ? ` (${parts.join(", ")})` : "") +
    `; ${event.rows_per_second} rows/s${left}; ${event.waits} rate-limit waits, ${event.retries} retries`;
}

function follow(box) {
  return new Promise((resolve, reject) => {
    const events = new EventSource(withKey("/api/events"));
    events.onmessage = (message) => {
      const event = JSON.parse(message.data);
      if (event.kind === "progress") { showProgress(box, event); return; }
      if (event.kind === "started") return;
      events.close();
      if (event.kind === "done") resolve(event.result);
      else if (event.kind === "cancelled") resolve(null);
      else reject(new Error(event.message || "nothing is going on"));
    };
    events.onerror = () => { events.close(); reject(new Error("the page's server stopped answering: start bulk-update ui again")); };
  });
}

function element(tag, text, attrs) {
  const node = document.createElement(tag);
  if (text !== undefined && text !== null) node.textContent = String(text);
  Object.entries(attrs || {}).forEach(([name, value]) => node.setAttribute(name, value));
  return node;
}

function table(headers, rows, label) {
  const node = element("table", null, { "aria-label": label });
  const head = node.createTHead().insertRow();
  headers.forEach((name) => head.appendChild(element("th", name)));
  const body = node.createTBody();
  rows.forEach((cells) => {
    const line = body.insertRow();
    cells.forEach((cell) => line.appendChild(element("td", cell)));
  });
  return node;
}

function counts(data) {
  const box = element("div", null, { class: "counts", "aria-label": "Counts" });
  box.appendChild(element("span", `${data.rows_total} rows`));
  Object.entries(data.counts).forEach(([status, count]) => box.appendChild(element("span", `${count} ${status.replace("_", " ")}`)));
  return box;
}

function reasons(data) {
  if (!data.reasons.length) return element("p", "No problems found.");
  return table(
    ["Rows", "Outcome", "Why", "Example rows", "What to do"],
    data.reasons.map((r) => [r.count, [...new Set([r.status, r.http_status, r.error_code].filter(Boolean))].join(" "),
      r.example && r.example !== r.message ? `${r.message} (row ${r.example_rows[0]}: ${r.example})` : r.message, r.example_rows.join(", "), r.hint]),
    "Why rows were not updated",
  );
}

function notices(data) {
  const list = element("ul", null, { "aria-label": "Notes" });
  data.notices.forEach((text) => list.appendChild(element("li", text)));
  return list;
}

function rowsTable(data, columns, label) {
  const headers = { row: "Row", id: "Id", conversation_ids: "Conversations", status: "Status", error_message: "Problem", changes: "Before → after", steps: "Steps" };
  const shown = columns.filter((name) => data.rows.length === 0 || name in data.rows[0]);
  const node = table(shown.map((name) => headers[name]), data.rows.map((row) => shown.map((name) => row[name])), label);
  const box = element("div", null, { class: "scroll" });
  const more = data.rows_listed > data.rows.length ? ` (the first ${data.rows.length} of ${data.rows_listed}; the report has them all)` : "";
  box.append(element("p", `${label}${more}`, { class: "muted" }), node);
  return box;
}

function choices() {
  const renames = [], ignored = [];
  document.querySelectorAll("#mapping-rows tr").forEach((line) => {
    const header = line.dataset.header;
    const rename = line.querySelector("input[type=text]").value.trim();
    if (line.querySelector("input[type=checkbox]").checked) ignored.push(header);
    else if (rename) renames.push(`${header}=${rename}`);
  });
  return {
    decimal_comma: $("decimal-comma").checked ? true : null,
    date_order: $("date-order").value || null,
    timezone: $("timezone").value || "UTC",
    admin: $("admin").value || null,
    ignore_columns: ignored,
    renames: renames,
    skip_unchanged: $("skip-unchanged").checked,
    overwrite_conflicts: $("overwrite-conflicts").checked,
    create_tags: $("create-tags").checked,
    key: $("key").value || null,
    match: $("match").value,
  };
}

function showMapping(columnsRead) {
  const read = new Map(columnsRead.map(([header, as]) => [header, as]));
  const body = $("mapping-rows");
  const kept = new Map([...body.querySelectorAll("tr")].map((line) => [line.dataset.header, line]));
  body.replaceChildren();
  state.columns.forEach((header) => {
    const before = kept.get(header);
    const line = body.insertRow();
    line.dataset.header = header;
    line.appendChild(element("td", header));
    const unread = state.kept.includes(header) ? "the tool's own column (kept as it is)" : "left out";
    line.appendChild(element("td", read.get(header) || unread));
    const rename = element("input", null, { type: "text", "aria-label": `Rename ${header} to`, size: "14" });
    const ignore = element("input", null, { type: "checkbox", "aria-label": `Ignore ${header}` });
    if (before) {
      rename.value = before.querySelector("input[type=text]").value;
      ignore.checked = before.querySelector("input[type=checkbox]").checked;
    }
    line.insertCell().appendChild(rename);
    line.insertCell().appendChild(ignore);
  });
  $("mapping").hidden = false;
}

function resetAfterSheet() {
  ["check-result", "preview-result", "run-result", "undo-result"].forEach((id) => $(id).replaceChildren());
  $("downloads").hidden = true;
  want("preview", false);
  want("preview-all", false);
  want("run", false);
  state.review = null;
}

async function chooseFile(file) {
  showError("", $("sheet-file"));
  const form = new FormData();
  form.append("sheet", file, file.name);
  const sheet = await call("/api/sheet", form);
  chosen(sheet);
}

// Which workspace the token belongs to (GET /me), in the header and in Run's review.
async function showWorkspace() {
  const answer = await fetch(withKey("/api/workspace"));
  const found = answer.ok ? (await answer.json()).workspace : null;
  state.workspace = found;
  $("workspace").textContent = found
    ? `Workspace: ${found.described}` + (found.teammate ? `, token of ${found.teammate}` : "")
    : "Workspace: not known (Intercom did not say)";
}
showWorkspace().catch(() => {});

async function offerTeammates() {
  const answer = await fetch(withKey("/api/teammates"));
  if (!answer.ok) return;  // the choice stays a typed email
  const list = $("admins");
  list.replaceChildren(...(await answer.json()).teammates.map((email) => element("option", null, { value: email })));
}

function chosen(sheet) {
  if (sheet.acts) {
    $("admin").required = true;
    offerTeammates().catch(() => {});
  }
  state.columns = sheet.columns;
  state.kept = sheet.kept_by_the_tool;
  // The key column: found from the header by the library, or any column named here.
  const keyChoice = $("key");
  keyChoice.replaceChildren(keyChoice.options[0], ...sheet.columns.filter((name) => !state.kept.includes(name)).map((name) => element("option", name, { value: name })));
  $("mapping-rows").replaceChildren();
  $("mapping").hidden = true;
  $("sheet-status").textContent = `${sheet.name}: ${sheet.columns.length} columns` + (sheet.is_report ? " (a report of this sheet: run, it sends what is not done yet and what you edited)" : "");
  want("check", true);
  want("undo", sheet.is_report);
  resetAfterSheet();
}

$("sheet-file").addEventListener("change", () => {
  const file = $("sheet-file").files[0];
  if (file) chooseFile(file).catch((error) => showError(error.message, $("sheet-file")));
});
const drop = $("drop");
drop.addEventListener("dragover", (event) => { event.preventDefault(); drop.classList.add("over"); });
drop.addEventListener("dragleave", () => drop.classList.remove("over"));
drop.addEventListener("drop", (event) => {
  event.preventDefault();
  drop.classList.remove("over");
  const file = event.dataTransfer.files[0];
  if (file) chooseFile(file).catch((error) => showError(error.message, $("sheet-file")));
});

function cancelled(data, what) {
  return data.interrupted ? [element("p", `Cancelled: ${what}.`, { role: "status" })] : [];
}

$("check").addEventListener("click", () => guarded($("check"), async () => {
  const data = await job($("check"), "/api/check", choices());
  if (data === null) return;
  state.checked = data;
  showMapping(data.columns_read);
  const box = $("check-result");
  box.replaceChildren(...cancelled(data, "the counts are of the rows checked before"), counts(data), reasons(data), notices(data));
  if (data.rows.length) box.appendChild(rowsTable(data, ["row", "id", "conversation_ids", "status", "error_message"], "Invalid rows"));
  want("preview", true);
  want("run", true);
}));

// Preview reads a sample first (its first rows in seconds on any sheet); Preview all rows,
// on request, reads every one. Either says how far it got.
async function preview(button, whole) {
  const data = await job(button, "/api/preview", { ...choices(), whole: whole });
  if (data === null) return;
  const r = data.review, p = data.previewed;
  const what = Object.entries(r).filter(([k, n]) => k !== "conversations" && n).map(([k, n]) => `, ${n} ${k}`).join("");
  const scope = p.sample ? `In the first ${p.read} rows to send (a sample): ` : data.interrupted ? `In the ${p.read} rows read before Cancel: ` : "";
  const panel = element("p", `${scope}${r.conversations} conversations will be changed${what}` +
    (choices().admin ? `, as ${choices().admin}` : "") + ".", { "aria-label": "Preview summary" });
  const far = p.left ? `${p.read} rows read, ${p.left} not read yet` + (p.sample ? ": Preview all rows reads them (the run reads each one anyway)." : " (cancelled).") : `All ${p.read} rows to send read.`;
  $("preview-result").replaceChildren(panel, element("p", far, { class: "muted" }), counts(data), reasons(data), notices(data),
    rowsTable(data, ["row", "id", "conversation_ids", "status", "changes", "steps"], "Preview rows"));
  want("preview-all", p.left > 0);
  want("run", true);
}
$("preview").addEventListener("click", () => guarded($("preview"), () => preview($("preview"), false)));
$("preview-all").addEventListener("click", () => guarded($("preview-all"), () => preview($("preview-all"), true)));

$("run").addEventListener("click", () => guarded($("run"), async () => {
  // What this run will do, from its plan (a dry run of the round Run starts).
  const plan = await job($("run"), "/api/plan", choices());
  if (plan === null || plan.interrupted) return;
  const who = plan.teammate ? ` as ${plan.teammate}` : "";
  const minutes = Math.round(plan.kept_for_seconds / 60);
  const backup = !plan.backup ? "no backup is taken"
    : plan.read ? `a backup is taken first (Undo puts it back): its ${plan.read} reads were made for this review and are not made again if you confirm within ${minutes} minutes`
      : "a backup is taken first (Undo puts it back)";
  $("review-text").textContent = plan.conversations === 0
    ? "Nothing will be sent: no conversation is left to change."
    : `${plan.conversations} conversations will be changed` +
      (state.workspace ? ` in the workspace ${state.workspace.described}` : "") + `${who}: about ${plan.requests} requests, ` +
      `about ${plan.seconds} s at the rate limit of ${plan.rate.requests} requests per ${plan.rate.seconds} s; ${backup}.`;
  $("confirm-run").hidden = plan.conversations === 0;
  openReview($("review"), plan.conversations === 0 ? $("cancel-run") : $("confirm-run"));
}));
$("cancel-run").addEventListener("click", () => closeReview($("review"), $("run")));

$("confirm-run").addEventListener("click", () => guarded($("confirm-run"), async () => {
  window.bulkTimes = { confirm: performance.now() };
  $("review").hidden = true;
  try {
    ran(await job($("confirm-run"), "/api/run", choices()));
  } finally {
    markStale();  // whatever happened, the sheet's history may have moved
  }
}));

// A Check's or Preview's result said what a run would do before the sheet's history moved
// (a run, an undo): it stays to read, marked out of date.
function markStale() {
  ["check-result", "preview-result"].forEach((id) => {
    const box = $(id);
    if (!box.firstChild || box.querySelector(".stale")) return;
    box.prepend(element("p", "Out of date: the sheet's history moved since (a run or an undo); press again for what is left.", { class: "stale", role: "note" }));
  });
}

function ran(data) {
  const head = element("p", data.interrupted ? "Stopped: the rows not sent are not_attempted in the report; Run again sends them." : `Done in ${data.elapsed_seconds} s, ${data.requests} requests.`, { role: "status" });
  $("run-result").replaceChildren(head, counts(data), reasons(data), notices(data));
  $("report-csv").href = withKey("/api/report?format=csv");
  $("report-xlsx").href = withKey("/api/report?format=xlsx");
  $("downloads").hidden = false;
  want("undo", true);
}

$("stop").addEventListener("click", () => guarded($("stop"), () => call("/api/stop")));

$("undo").addEventListener("click", () => openReview($("undo-review"), $("confirm-undo")));
$("cancel-undo").addEventListener("click", () => closeReview($("undo-review"), $("undo")));

// A review takes the focus when it opens (on what to press next), and Escape cancels it.
function openReview(review, first) {
  review.hidden = false;
  first.focus();
}
function closeReview(review, back) {
  review.hidden = true;
  back.focus();
}
[["review", "run"], ["undo-review", "undo"]].forEach(([id, back]) => {
  $(id).addEventListener("keydown", (event) => {
    if (event.key === "Escape") closeReview($(id), $(back));
  });
});
$("confirm-undo").addEventListener("click", () => guarded($("confirm-undo"), async () => {
  $("undo-review").hidden = true;
  let data;
  try {
    data = await job($("undo"), "/api/undo", choices());
  } finally {
    markStale();
  }
  const what = Object.entries(data.undone).filter(([, n]) => n).map(([kind, n]) => `${n} ${kind}`).join(", ");
  const head = data.interrupted ? `Cancelled; undone so far: ${what || "nothing"}. Undo again puts back the rest.` : `Undone: ${what || "nothing to put back"}.`;
  $("undo-result").replaceChildren(element("p", head, { role: "status" }), reasons(data), notices(data));
  // The run's figures no longer say how the conversations are: the undo's do.
  $("run-result").replaceChildren(element("p", "Undone since: see Undo below.", { class: "muted" }));
}));

$("find-button").addEventListener("click", () => guarded($("find-button"), async () => {
  const where = $("where").value.split("\n").map((line) => line.trim()).filter(Boolean);
  const data = await job($("find-button"), "/api/find", { where: where, format: $("find-format").value });
  if (data === null) {
    $("find-status").textContent = "Find cancelled: nothing was kept.";
    $("find-links").hidden = true;
    return;
  }
  $("find-status").textContent = `${data.matched ?? data.written} conversations match; ${data.written} in the sheet.`;
  $("found-link").href = withKey(`/api/found?name=${encodeURIComponent(data.name)}`);
  $("found-link").dataset.name = data.name;
  $("find-links").hidden = false;
}));
$("use-found").addEventListener("click", () => guarded($("use-found"), async () => {
  chosen(await call("/api/use-found", { name: $("found-link").dataset.name }));
}));
