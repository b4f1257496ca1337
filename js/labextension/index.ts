/**
 * nbtrack's JupyterLab extension: a left-sidebar panel listing the runs of the active notebook
 * (grouped by cell, live), run details, "Compare" tabs, and the link from cells to their runs
 * in the notebook's metadata. Talks only to the read-only server routes (`nbtrack/api/`).
 */
import { ILayoutRestorer, JupyterFrontEnd, JupyterFrontEndPlugin } from '@jupyterlab/application';
import { ICommandPalette, MainAreaWidget } from '@jupyterlab/apputils';
import { INotebookTracker } from '@jupyterlab/notebook';
import { LabIcon } from '@jupyterlab/ui-components';
import { SplitPanel } from '@lumino/widgets';

import { CompareView } from './compare';
import { linkRunsToCells } from './link';
import { RunsPanel } from './panel';

const ICON_SVG = `<svg xmlns="http://www.w3.org/2000/svg" width="16" height="16" viewBox="0 0 24 24">
  <g class="jp-icon3" fill="#616161">
    <path d="M3 3h2v16h16v2H3z"/>
    <path d="M7 15.6l4.2-5.2 3.3 2.7L19.4 6l1.6 1.2-6.1 8.5-3.3-2.7-3 3.8z"/>
    <circle cx="11.2" cy="10.4" r="1.4"/><circle cx="14.5" cy="13.1" r="1.4"/>
  </g>
</svg>`;

export const nbtrackIcon = new LabIcon({ name: 'nbtrack:runs', svgstr: ICON_SVG });

const plugin: JupyterFrontEndPlugin<void> = {
  id: 'nbtrack:sidebar',
  description: 'The runs of the open notebook, grouped by cell, live.',
  autoStart: true,
  requires: [INotebookTracker],
  optional: [ILayoutRestorer, ICommandPalette],
  activate: (
    app: JupyterFrontEnd,
    tracker: INotebookTracker,
    restorer: ILayoutRestorer | null,
    palette: ICommandPalette | null
  ) => {
    let compareCount = 0;
    const openCompare = (runIds: string[], notebook?: string) => {
      const content = new CompareView(runIds, notebook);
      const widget = new MainAreaWidget({ content });
      widget.id = `nbtrack-compare-${++compareCount}`;
      widget.title.label = `Compare ${runIds.length} runs`;
      widget.title.icon = nbtrackIcon;
      widget.title.closable = true;
      app.shell.add(widget, 'main');
      if (widget.isAttached) {
        app.shell.activateById(widget.id);
        return;
      }
      // Notebook 7 keeps one document in its main area: use the panel below it, and give that
      // panel room (it starts collapsed the first time it is shown).
      app.shell.add(widget, 'down');
      app.shell.activateById(widget.id);
      requestAnimationFrame(() => {
        const split = widget.parent?.parent?.parent;
        if (split instanceof SplitPanel && widget.node.getBoundingClientRect().height < 150) {
          split.setRelativeSizes([3, 2]);
        }
      });
    };
    const panel = new RunsPanel({ app, tracker, openCompare });
    panel.id = 'nbtrack-sidebar';
    panel.title.icon = nbtrackIcon;
    panel.title.caption = 'nbtrack runs';
    app.shell.add(panel, 'left', { rank: 650 });
    if (restorer) {
      restorer.add(panel, 'nbtrack-sidebar');
    }
    linkRunsToCells(tracker);

    app.commands.addCommand('nbtrack:show-runs', {
      label: 'Show nbtrack Runs',
      execute: () => app.shell.activateById(panel.id)
    });
    app.commands.addCommand('nbtrack:compare', {
      label: 'Compare nbtrack Runs',
      execute: args => openCompare((args.runIds as string[]) ?? [], args.notebook as string | undefined)
    });
    if (palette) {
      palette.addItem({ command: 'nbtrack:show-runs', category: 'nbtrack' });
    }
  }
};

export default plugin;
