// Course builder: drag modules and lessons (SortableJS), then post the whole order as JSON.
(function () {
  "use strict";
  const root = document.querySelector(".course-builder");
  if (!root || typeof Sortable === "undefined") return;
  const status = root.querySelector(".builder-status");
  const csrf = root.querySelector("input[name=csrfmiddlewaretoken]").value;

  function currentOrder() {
    const modules = [];
    const lessons = {};
    root.querySelectorAll(".builder-module").forEach(function (module) {
      const id = module.dataset.module;
      modules.push(Number(id));
      lessons[id] = Array.from(module.querySelectorAll(".builder-lesson")).map(function (row) {
        return Number(row.dataset.lesson);
      });
    });
    return { modules: modules, lessons: lessons };
  }

  function save() {
    status.textContent = status.dataset.saving;
    fetch(root.dataset.orderUrl, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrf },
      body: JSON.stringify(currentOrder()),
    })
      .then(function (response) {
        return response.json().then(function (data) {
          if (!response.ok) throw new Error(data.error || status.dataset.failed);
          status.textContent = data.message;
        });
      })
      .catch(function (error) {
        status.textContent = error.message || status.dataset.failed;
        status.classList.add("errornote");
      });
  }

  Sortable.create(root.querySelector(".builder-modules"), {
    handle: ".module-handle",
    forceFallback: true, // mouse and touch events: works the same in every browser
    animation: 150,
    onEnd: save,
  });
  root.querySelectorAll(".lesson-list").forEach(function (list) {
    Sortable.create(list, {
      group: "lessons",
      handle: ".lesson-handle",
      forceFallback: true,
      draggable: ".builder-lesson",
      animation: 150,
      onEnd: save,
    });
  });
})();
