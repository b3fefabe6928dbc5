// Small progressive enhancements; every page works without them.
document.addEventListener("click", (event) => {
  const copy = event.target.closest("[data-copy]");
  if (copy) {
    const text = copy.dataset.copy;
    const done = () => { const old = copy.textContent; copy.textContent = copy.dataset.copied; setTimeout(() => { copy.textContent = old; }, 1500); };
    if (navigator.clipboard) { navigator.clipboard.writeText(text).then(done, done); } else { done(); }
  }
  const collapse = event.target.closest("[data-collapse]");
  if (collapse) {
    // 收起 / 展开: fold the preview back to its first page, or open it again.
    const pages = document.querySelector(collapse.dataset.collapse);
    const folded = pages.classList.toggle("collapsed");
    collapse.textContent = folded ? collapse.dataset.expandLabel : collapse.dataset.collapseLabel;
    if (folded) pages.scrollIntoView({ behavior: "smooth" });
  }
});
document.addEventListener("htmx:afterSwap", () => {
  const pages = document.getElementById("pages");
  const button = document.querySelector("[data-collapse]");
  if (pages && button && pages.querySelectorAll(".page").length > 3) button.hidden = false;
});
document.addEventListener("change", (event) => {
  if (event.target.matches(".dropzone input[type=file]")) {
    const names = Array.from(event.target.files).map((f) => f.name);
    const list = document.getElementById("dz-list");
    if (list) list.textContent = names.join("、");
  }
});

// The upload form (sent by htmx): a progress bar while the file is sent, then the
// processing stage (the server sends the browser on to the document's page).
const uploadForm = () => document.getElementById("upload-form");
document.addEventListener("htmx:beforeRequest", (event) => {
  const form = uploadForm();
  if (!form || event.target !== form) return;
  form.dataset.state = "sending";
  const box = document.getElementById("upload-progress");
  if (box) box.hidden = false;
  document.getElementById("upload-stage").textContent = form.dataset.sending;
  const button = form.querySelector("button[type=submit]");
  if (button) button.disabled = true;
});
document.addEventListener("htmx:xhr:progress", (event) => {
  const form = uploadForm();
  // htmx reports the response's download too: only the upload moves the bar.
  if (!form || event.target !== form || form.dataset.state !== "sending") return;
  const { loaded, total, lengthComputable } = event.detail;
  if (!lengthComputable || !total) return;
  const percent = Math.min(100, Math.round((loaded / total) * 100));
  document.getElementById("upload-bar").value = percent;
  document.getElementById("upload-percent").textContent = percent + "%";
  if (loaded >= total) {
    form.dataset.state = "checking";
    document.getElementById("upload-stage").textContent = form.dataset.checking;
  }
});
document.addEventListener("htmx:responseError", (event) => {
  const form = uploadForm();
  if (!form || event.target !== form) return;
  form.dataset.state = "failed";
  document.getElementById("upload-stage").textContent = form.dataset.failed + " (" + event.detail.xhr.status + ")";
  const button = form.querySelector("button[type=submit]");
  if (button) button.disabled = false;
});
