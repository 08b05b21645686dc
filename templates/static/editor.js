// The editor's little helpers: add and remove rows, live totals, and the engine's decision
// beside the form (POSTed to the page's preview endpoint, nothing saved). Without JavaScript
// the form still works: a blank row is always there, and saving shows the decision.
(function () {
  "use strict";
  var form = document.getElementById("editor");
  if (!form) return;

  function fromTemplate(id, replacements) {
    var html = document.getElementById(id).innerHTML;
    Object.keys(replacements).forEach(function (key) {
      html = html.split(key).join(String(replacements[key]));
    });
    var holder = document.createElement("tbody");
    if (id !== "line-template") holder = document.createElement("div");
    holder.innerHTML = html.trim();
    return holder.firstElementChild;
  }

  function amountOf(text) {
    var digits = (text || "").replace(/[,，円\s]/g, "").replace(/[０-９]/g, function (c) {
      return String.fromCharCode(c.charCodeAt(0) - 0xFEE0);
    });
    return /^\d+$/.test(digits) ? parseInt(digits, 10) : 0;
  }

  var yen = new Intl.NumberFormat("ja-JP");
  function updateTotals() {
    var all = 0, subsidy = 0;
    form.querySelectorAll("tr.budget-line").forEach(function (row) {
      var amount = row.querySelector("input[name$='.amount_yen']");
      var source = row.querySelector("select[name$='.funding_source']");
      var value = amountOf(amount && amount.value);
      all += value;
      if (source && source.value === "this_subsidy") subsidy += value;
    });
    document.getElementById("total-all").textContent = yen.format(all) + "円";
    document.getElementById("total-subsidy").textContent = yen.format(subsidy) + "円";
  }

  // The summary that stays at the bottom of a phone's screen follows the decision panel.
  function updateSummary() {
    var panel = document.getElementById("decision-panel");
    var verdict = document.getElementById("summary-verdict");
    var subsidy = document.getElementById("summary-subsidy");
    if (!panel || !verdict || !subsidy) return;
    var fresh = panel.querySelector(".verdict");
    var amount = panel.querySelector(".subsidy");
    verdict.textContent = fresh ? fresh.textContent : "まだ判定できません";
    verdict.className = fresh ? fresh.className : "verdict";
    subsidy.textContent = amount ? amount.textContent : "—";
  }

  var timer = null, inFlight = null;
  function schedulePreview() {
    updateTotals();
    clearTimeout(timer);
    timer = setTimeout(preview, 400);
  }
  function preview() {
    if (inFlight) inFlight.abort();
    inFlight = new AbortController();
    var body = new URLSearchParams(new FormData(form));
    fetch(form.dataset.preview, { method: "POST", body: body, signal: inFlight.signal, credentials: "same-origin" })
      .then(function (response) { return response.ok ? response.text() : null; })
      .then(function (html) {
        if (html === null) return;
        var panel = document.getElementById("decision-panel");
        var fresh = document.createElement("div");
        fresh.innerHTML = html;
        if (panel && fresh.firstElementChild) {
          panel.replaceWith(fresh.firstElementChild);
          updateSummary();
        }
      })
      .catch(function () { /* a newer preview replaced this one, or the network failed: keep the last */ });
  }

  function addLine(activity) {
    var next = parseInt(activity.dataset.nextLine, 10);
    activity.dataset.nextLine = next + 1;
    var row = fromTemplate("line-template", { "__A__": activity.dataset.index, "--A--": activity.dataset.index, "__L__": next, "--L--": next });
    activity.querySelector("table.budget tbody").appendChild(row);
    var first = row.querySelector("select, input");
    if (first) first.focus();
  }

  form.addEventListener("click", function (event) {
    var target = event.target;
    if (target.classList.contains("add-line")) {
      addLine(target.closest("fieldset.activity"));
    } else if (target.classList.contains("remove-line")) {
      target.closest("tr").remove();
      schedulePreview();
    } else if (target.classList.contains("remove-activity")) {
      target.closest("fieldset.activity").remove();
      schedulePreview();
    }
  });

  document.getElementById("add-activity").addEventListener("click", function () {
    var holder = document.getElementById("activities");
    var next = parseInt(holder.dataset.next, 10);
    holder.dataset.next = next + 1;
    var activity = fromTemplate("activity-template", { "__A__": next, "--A--": next });
    holder.appendChild(activity);
    activity.querySelector("input").focus();
  });

  document.getElementById("add-partner").addEventListener("click", function () {
    var holder = document.getElementById("partners");
    var next = parseInt(holder.dataset.next, 10);
    holder.dataset.next = next + 1;
    var partner = fromTemplate("partner-template", { "__P__": next, "--P--": next });
    holder.appendChild(partner);
    partner.querySelector("select").focus();
  });

  // The co-applicants: the search box narrows the checkboxes to the organisations the server
  // finds by name (the pipeline's comparison); the chosen ones always stay in view.
  var coSearch = document.getElementById("co-applicant-search");
  if (coSearch) {
    coSearch.closest(".co-applicant-search").hidden = false;
    var coCount = document.getElementById("co-applicant-count");
    var coHint = coCount.textContent;
    var coTimer = null;
    var showOnly = function (ids) {
      var shown = 0;
      document.querySelectorAll("#co-applicant-list label").forEach(function (label) {
        var box = label.querySelector("input");
        var visible = ids === null || box.checked || ids.indexOf(Number(box.value)) >= 0;
        label.hidden = !visible;
        if (visible) shown += 1;
      });
      coCount.textContent = ids === null ? coHint : shown + " 団体を表示しています（選んだ団体を含む）。";
    };
    coSearch.addEventListener("input", function (event) {
      event.stopPropagation();
      clearTimeout(coTimer);
      var query = coSearch.value.trim();
      if (!query) { showOnly(null); return; }
      coTimer = setTimeout(function () {
        fetch(coSearch.dataset.search + "?q=" + encodeURIComponent(query), { credentials: "same-origin" })
          .then(function (response) { return response.ok ? response.json() : null; })
          .then(function (answer) { if (answer && coSearch.value.trim() === query) showOnly(answer.ids); });
      }, 200);
    });
    // Enter in the search box searches; it does not save the form.
    coSearch.addEventListener("keydown", function (event) {
      if (event.key === "Enter") event.preventDefault();
    });
  }

  form.addEventListener("input", schedulePreview);
  form.addEventListener("change", schedulePreview);
  updateTotals();
})();
