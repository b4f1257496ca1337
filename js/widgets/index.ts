// Placeholder: the widget front ends (run card, table, compare, diff) are bundled from here.
export default {
  render({ el }: { el: HTMLElement }) {
    el.textContent = "nbtrack widget";
  },
};
