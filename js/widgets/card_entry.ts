// The run card's own bundle (static/card.js): every %%track cell ships it to the browser, so
// it holds only the card, the Arrow reader and the SVG line chart (no vega; see index.ts).
import { Model } from "./protocol";
import { injectCss, h } from "./dom";
import { renderCard } from "./card";

function render({ model, el }: { model: Model; el: HTMLElement }) {
  injectCss();
  if (model.get("kind") === "card") return renderCard(model, el);
  el.appendChild(h("div", { class: "nbt nbt-error", text: `nbtrack: the card bundle cannot show ${String(model.get("kind"))}` }));
  return () => {};
}

export default { render };
