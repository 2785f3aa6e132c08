// Question form: show only the answer fields that the chosen question type uses.
(function () {
  "use strict";
  var FIELDS = {
    single: ["options", "answer"],
    multiple: ["options", "answer", "partial_credit"],
    true_false: ["tf_answer"],
    fill: ["answer"],
    short: ["rubric"],
  };
  var ALL = ["options", "answer", "tf_answer", "partial_credit", "rubric"];

  function wrapperOf(name) {
    var input = document.querySelector('[name="' + name + '"]');
    if (!input) return null;
    // The whole panel (heading included); a bare field wrapper as a fallback.
    return input.closest("section.w-panel") || input.closest("[data-field-wrapper]");
  }

  function currentType() {
    var select = document.querySelector('[name="qtype"]');
    return select ? select.value : "";
  }

  function update() {
    var type = currentType();
    var shown = FIELDS[type];
    ALL.forEach(function (name) {
      var wrapper = wrapperOf(name);
      if (!wrapper) return;
      wrapper.hidden = Boolean(shown) && shown.indexOf(name) === -1;
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var select = document.querySelector('[name="qtype"]');
    if (!select) return;
    select.addEventListener("change", update);
    update();
  });
})();
