/* report.html only: the one table of every finding, filtered by status, severity, account, region, check and
   control and by words typed, and sorted on a heading click.

   The markup holds every row, so the page reads in full without this script. With it, the rows are taken
   out of the table once and only the matching ones are put back, a page at a time ("Show more"): laying out
   tens of thousands of rows again on every keystroke took seconds, matching them in memory takes
   milliseconds (docs/performance.md gives the measured figures). Everything a filter or a sort reads is taken from
   the rows once. No network, no libraries. */
(function () {
  "use strict";
  var table = document.getElementById("findings-table");
  if (!table) { return; }
  var PAGE = 250;
  var body = table.tBodies[0];
  var FIELDS = ["status", "severity", "account", "region", "check", "control"];
  var items = Array.prototype.map.call(body.rows, function (row) {
    var item = { row: row, text: row.textContent.toLowerCase() };
    FIELDS.forEach(function (name) { item[name] = row.getAttribute("data-" + name) || ""; });
    item.controls = " " + item.control + " ";
    return item;
  });
  var selects = Array.prototype.slice.call(document.querySelectorAll("select[data-findings-filter]"));
  var search = document.getElementById("findings-search");
  var counter = document.getElementById("findings-count");
  var clear = document.getElementById("findings-clear");
  var more = document.getElementById("findings-more");
  var all = document.getElementById("findings-all");
  var matched = items;
  var limit = PAGE;

  function matches(item, wanted, words) {
    for (var j = 0; j < wanted.length; j += 1) {
      var name = wanted[j][0], value = wanted[j][1];
      if (name === "control" ? item.controls.indexOf(" " + value + " ") === -1 : item[name] !== value) { return false; }
    }
    for (var k = 0; k < words.length; k += 1) {
      if (item.text.indexOf(words[k]) === -1) { return false; }
    }
    return true;
  }

  function render() {
    var shown = Math.min(limit, matched.length);
    var fragment = document.createDocumentFragment();
    for (var i = 0; i < shown; i += 1) { fragment.appendChild(matched[i].row); }
    body.replaceChildren(fragment);
    if (counter) {
      counter.textContent = matched.length + " of " + items.length + " findings match" +
        (shown < matched.length ? "; the first " + shown + " are shown" : "");
    }
    var rest = matched.length - shown;
    if (more) { more.hidden = rest <= 0; more.textContent = "Show " + Math.min(PAGE, rest) + " more"; }
    if (all) { all.hidden = rest <= PAGE; all.textContent = "Show all " + matched.length; }
  }

  function apply() {
    var wanted = selects.map(function (s) { return [s.getAttribute("data-findings-filter"), s.value]; })
      .filter(function (pair) { return pair[1] !== ""; });
    var words = search ? search.value.toLowerCase().split(/\s+/).filter(Boolean) : [];
    matched = wanted.length || words.length ? items.filter(function (item) { return matches(item, wanted, words); })
      : items.slice();
    limit = PAGE;
    render();
  }

  selects.forEach(function (s) { s.addEventListener("change", apply); });
  if (search) { search.addEventListener("input", apply); }
  if (clear) {
    clear.addEventListener("click", function () {
      selects.forEach(function (s) { s.value = ""; });
      if (search) { search.value = ""; }
      apply();
    });
  }
  if (more) { more.addEventListener("click", function () { limit += PAGE; render(); }); }
  if (all) { all.addEventListener("click", function () { limit = matched.length; render(); }); }

  var heads = table.tHead ? table.tHead.rows[0].cells : [];
  var sortedBy = {};  // column index -> true once every item holds that column's sort key
  Array.prototype.forEach.call(heads, function (th, index) {
    th.setAttribute("tabindex", "0");
    var field = "key" + index;
    function sort() {
      var ascending = th.getAttribute("aria-sort") !== "ascending";
      Array.prototype.forEach.call(heads, function (h) { h.removeAttribute("aria-sort"); });
      th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
      if (!sortedBy[index]) {
        sortedBy[index] = true;
        var numeric = th.getAttribute("data-type") === "number";
        items.forEach(function (item) {
          var cell = item.row.cells[index];
          var key = cell ? cell.getAttribute("data-sort") : "";
          if (key === null) { key = cell.textContent.trim().toLowerCase(); }
          item[field] = numeric ? parseFloat(key) : key;
        });
      }
      items.forEach(function (item, position) { item.position = position; });
      items.sort(function (a, b) {
        var x = a[field], y = b[field];
        var c = x < y ? -1 : x > y ? 1 : 0;
        return (ascending ? c : -c) || a.position - b.position;
      });
      apply();
    }
    th.addEventListener("click", sort);
    th.addEventListener("keydown", function (e) { if (e.key === "Enter") { sort(); } });
  });
  apply();
})();
