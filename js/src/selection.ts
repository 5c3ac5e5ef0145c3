// anywidget entry for Selection: a small bar "3 neurons selected · Clear".
import type { RenderProps, SelectionModel } from "./models";

function render({ model, el }: RenderProps<SelectionModel>): () => void {
  el.classList.add("somwidget-selection");
  const text = document.createElement("span");
  const btn = document.createElement("button");
  btn.textContent = "Clear";
  btn.style.marginLeft = "8px";
  Object.assign(el.style, { font: "13px system-ui, sans-serif", padding: "2px 0" });
  el.append(text, btn);
  const update = () => {
    const ks: number[] = model.get("neurons") ?? [];
    const n = ks.length;
    text.textContent = n === 0 ? "No neurons selected" : `${n} neuron${n === 1 ? "" : "s"} selected`;
    btn.disabled = n === 0;
    el.dataset.selected = ks.join(",");
  };
  btn.addEventListener("click", () => {
    model.set("neurons", []);
    model.save_changes();
  });
  model.on("change:neurons", update);
  update();
  return () => model.off("change:neurons", update);
}

export default { render };
