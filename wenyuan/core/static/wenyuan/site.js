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
