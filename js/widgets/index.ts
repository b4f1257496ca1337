// nbtrack widget front ends (anywidget). One bundle; the model's `kind` picks the view.
import { Channel, Model } from "./protocol";
import { injectAllCss, h } from "./dom";
import { renderCard } from "./card";
import { renderTable } from "./table";
import { renderCompareInto, renderDiffInto } from "./compare";

function render({ model, el }: { model: Model; el: HTMLElement }) {
  injectAllCss();
  const kind = model.get("kind");
  if (kind === "card") return renderCard(model, el);
  if (kind === "table") return renderTable(model, el);
  if (kind === "compare" || kind === "diff") {
    const ch = new Channel(model);
    (kind === "compare" ? renderCompareInto : renderDiffInto)(ch, el);
    return () => ch.close();
  }
  el.appendChild(h("div", { class: "nbt nbt-error", text: `nbtrack: unknown widget kind ${String(kind)}` }));
  return () => {};
}

export default { render };
