/* The escalation rule form builder: rows of conditions and actions that write the
   JSON the server validates into the form's textareas. Without JavaScript, the
   textareas are there to type the JSON by hand. */
(function () {
  "use strict";
  const form = document.getElementById("rule-form");
  if (!form) return;
  const read = (id) => JSON.parse(document.getElementById(id).textContent);
  const conditionTypes = read("rule-condition-types");
  const actionTypes = read("rule-action-types");
  const O = read("rule-options");
  const T = read("rule-strings");

  // Each type's name and help come from the server, translated: {type: {label, help}}.
  // Each type: the inputs that edit it, each bound to a path of the JSON object.
  const SPECS = {
    channel: [{ path: "value", kind: "checks", options: O.channels }],
    tier: [{ path: "value", kind: "checks", options: O.tiers }],
    tags: [{ path: "value", kind: "list" }],
    keywords: [{ path: "value", kind: "list" }],
    priority_at_least: [{ path: "value", kind: "select", options: O.priorities, int: true }],
    sentiment: [{ path: "value", kind: "select", options: O.sentiments }],
    sla: [{ path: "value", kind: "select", options: O.sla_states }],
    no_agent_reply_minutes: [{ path: "value", kind: "number" }],
    reopen_count_at_least: [{ path: "value", kind: "number" }],
    repeat_contact: [{ path: "value.contacts", kind: "number", label: T.contacts }, { path: "value.days", kind: "number", label: T.days }],
    set_priority: [{ path: "value", kind: "select", options: O.priorities, int: true }],
    assign: [{ path: "team", kind: "select", options: O.teams, int: true, optional: true, label: T.team }, { path: "agent", kind: "select", options: O.agents, int: true, optional: true, label: T.agent }],
    notify: [{ path: "users", kind: "checks", options: O.agents, int: true }, { path: "assignee", kind: "check", label: T.assignee }, { path: "supervisors", kind: "check", label: T.supervisors }, { path: "email", kind: "check", label: T.email }],
    add_tag: [{ path: "value", kind: "text" }],
    add_note: [{ path: "value", kind: "textarea" }],
  };

  const get = (obj, path) => path.split(".").reduce((o, k) => (o == null ? undefined : o[k]), obj);
  function set(obj, path, value) {
    const keys = path.split(".");
    let o = obj;
    keys.slice(0, -1).forEach((k) => { o[k] = o[k] || {}; o = o[k]; });
    o[keys[keys.length - 1]] = value;
  }
  function make(tag, attrs, text) {
    const node = document.createElement(tag);
    Object.assign(node, attrs || {});
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function input(spec, current) {
    const box = make("span", { className: "rl-input" });
    if (spec.label && spec.kind !== "check") box.append(make("span", { className: "rl-help" }, spec.label + " "));
    if (spec.kind === "checks") {
      const chosen = new Set((current || []).map(String));
      for (const [value, label] of spec.options) {
        const l = make("label");
        const c = make("input", { type: "checkbox", value: String(value), checked: chosen.has(String(value)) });
        l.append(c, " " + label + " ");
        box.append(l);
      }
      box.read = () => [...box.querySelectorAll("input:checked")].map((c) => (spec.int ? Number(c.value) : c.value));
    } else if (spec.kind === "select") {
      const s = make("select");
      if (spec.optional) s.append(make("option", { value: "" }, T.any));
      for (const [value, label] of spec.options) s.append(make("option", { value: String(value), selected: String(current) === String(value) }, label));
      box.append(s);
      box.read = () => (s.value === "" ? null : spec.int ? Number(s.value) : s.value);
    } else if (spec.kind === "number") {
      const n = make("input", { type: "number", min: 1, value: current ?? "" });
      box.append(n);
      box.read = () => (n.value === "" ? null : Number(n.value));
    } else if (spec.kind === "check") {
      const l = make("label");
      const c = make("input", { type: "checkbox", checked: Boolean(current) });
      l.append(c, " " + spec.label);
      box.append(l);
      box.read = () => c.checked;
    } else if (spec.kind === "list") {
      const t = make("input", { type: "text", value: (current || []).join(", "), placeholder: T.commaSeparated });
      box.append(t);
      box.read = () => t.value.split(",").map((v) => v.trim()).filter(Boolean);
    } else {
      const t = make(spec.kind === "textarea" ? "textarea" : "input", { value: current || "" });
      if (spec.kind !== "textarea") t.type = "text";
      box.append(t);
      box.read = () => t.value;
    }
    box.path = spec.path;
    return box;
  }

  function builder(section) {
    const kinds = section.dataset.builder === "conditions" ? conditionTypes : actionTypes;
    const textarea = document.getElementById(section.dataset.target);
    const rows = section.querySelector(".rl-rows");
    let initial = [];
    try { initial = JSON.parse(textarea.value || "[]"); } catch (e) { initial = []; }
    if (!Array.isArray(initial)) initial = [];

    function serialize() {
      const items = [...rows.children].map((row) => {
        const item = { type: row.querySelector(".rl-type").value };
        row.querySelectorAll(".rl-input").forEach((box) => {
          const value = box.read();
          if (value !== null && !(box.path !== "value" && value === false)) set(item, box.path, value);
        });
        return item;
      });
      textarea.value = JSON.stringify(items, null, 1);
    }

    function addRow(item) {
      const row = make("div", { className: "rl-row" });
      const type = make("select", { className: "rl-type" });
      for (const [value, kind] of Object.entries(kinds)) type.append(make("option", { value, title: kind.help, selected: value === item.type }, kind.label));
      const inputs = make("span", { className: "rl-inputs" });
      const help = make("span", { className: "rl-help" });
      function fill(current) {
        inputs.replaceChildren(...SPECS[type.value].map((spec) => input(spec, get(current, spec.path))));
        help.textContent = kinds[type.value].help;
      }
      type.addEventListener("change", () => { fill({}); serialize(); });
      const remove = make("button", { type: "button", className: "cn-link rl-remove" }, T.remove);
      remove.addEventListener("click", () => { row.remove(); serialize(); });
      row.append(type, inputs, remove, help);
      rows.append(row);
      fill(item);
    }

    initial.forEach(addRow);
    if (!initial.length) addRow({ type: Object.keys(kinds)[0] });
    section.querySelector(".rl-add").addEventListener("click", () => { addRow({ type: Object.keys(kinds)[0] }); serialize(); });
    rows.addEventListener("input", serialize);
    rows.addEventListener("change", serialize);
    form.addEventListener("submit", serialize);
    serialize();
  }

  document.querySelectorAll("[data-builder]").forEach(builder);
})();
