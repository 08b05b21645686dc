// The award import's progress page: asks the server for the progress once a second and
// updates the <progress> element; when the import has finished, reloads the page so that the
// results (rendered on the server, as without JavaScript) appear.
(function () {
  "use strict";
  var box = document.getElementById("import-progress-box");
  if (!box) return;
  var url = box.getAttribute("data-progress-url");
  var bar = document.getElementById("import-progress");
  var text = document.getElementById("import-progress-text");
  function poll() {
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        if (!response.ok) throw new Error("HTTP " + response.status);
        return response.json();
      })
      .then(function (progress) {
        var max = progress.total > 0 ? progress.total : 1;
        bar.max = max;
        bar.value = Math.min(progress.done, max);
        bar.textContent = progress.done + " / " + progress.total;
        text.textContent = progress.status_label + ": " + progress.done + " / " + progress.total + " 件";
        if (progress.finished) {
          window.location.reload();
        } else {
          window.setTimeout(poll, 1000);
        }
      })
      .catch(function () {
        text.textContent = "進み具合を取得できませんでした。ページを再読み込みしてください。";
      });
  }
  window.setTimeout(poll, 500);
})();
