// nbtrack widget front ends (anywidget). One bundle; the model's `kind` picks the view.
import type { AnyWidget, RenderProps } from "@anywidget/types";
import { Channel } from "../shared/protocol";
import { h } from "../shared/dom";
import { injectAllCss } from "./style";
import { renderCard } from "./card";
import { renderTable } from "./table";
import { renderCompareInto, renderDiffInto } from "./compare";
import type { BaseTraits, CardModel, TableModel } from "./models";

function render({ model, el }: RenderProps<BaseTraits>): () => void {
  injectAllCss();
  const kind = model.get("kind");
  if (kind === "card") return renderCard(model as unknown as CardModel, el);
  if (kind === "table") return renderTable(model as unknown as TableModel, el);
  if (kind === "compare" || kind === "diff") {
    const ch = new Channel(model);
    void (kind === "compare" ? renderCompareInto : renderDiffInto)(ch, el);
    return () => ch.close();
  }
  el.appendChild(h("div", { class: "nbt nbt-error", text: `nbtrack: unknown widget kind ${String(kind)}` }));
  return () => {};
}

const widget: AnyWidget<BaseTraits> = { render };
export default widget;
