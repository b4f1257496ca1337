// The run card's own bundle (static/card.js): every %%track cell ships it to the browser, so
// it holds only the card, the Arrow decoder and the SVG line chart (no vega; see index.ts).
import type { AnyWidget, RenderProps } from "@anywidget/types";
import { h } from "../shared/dom";
import { injectCss } from "./style";
import { renderCard } from "./card";
import type { BaseTraits, CardModel } from "./models";

function render({ model, el }: RenderProps<BaseTraits>): () => void {
  injectCss();
  if (model.get("kind") === "card") return renderCard(model as unknown as CardModel, el);
  el.appendChild(h("div", { class: "nbt nbt-error", text: `nbtrack: the card bundle cannot show ${String(model.get("kind"))}` }));
  return () => {};
}

const widget: AnyWidget<BaseTraits> = { render };
export default widget;
