// crmstudy report script, inlined once after the action box: no network, no library.
// Folds the table of contents into a one-line <details> so that the first screen is
// the action box, not the list of sections.
(function () {
  var nav = document.getElementById("TOC");
  if (!nav || nav.parentElement.tagName === "DETAILS") return;
  var box = document.createElement("details");
  box.className = "toc";
  var title = nav.querySelector("h2");
  var summary = document.createElement("summary");
  summary.textContent = title ? title.textContent : "Contents";
  if (title) title.remove();
  nav.parentNode.insertBefore(box, nav);
  box.appendChild(summary);
  box.appendChild(nav);
})();
