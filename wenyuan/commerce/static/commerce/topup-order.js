// Look again every few seconds while the payment is on its way (at most ten minutes),
// and reload the page once the order's status has changed. A file, not an inline script:
// the Content-Security-Policy allows scripts only from the site's own files.
(function (tries) {
  var page = document.getElementById("topup-order");
  if (!page) return;
  var status = page.dataset.status;
  function again() {
    if (tries-- <= 0) return;
    setTimeout(function () {
      fetch(location.href, { credentials: "same-origin" })
        .then(function (r) { return r.text(); })
        .then(function (html) {
          var now = new DOMParser().parseFromString(html, "text/html").getElementById("topup-order");
          if (now && now.dataset.status !== status) { location.reload(); } else { again(); }
        }, again);
    }, 3000);
  }
  again();
})(200);
