/**
 * nbtrack's JupyterLab extension: a left-sidebar panel listing the runs of the active notebook
 * (grouped by cell, live), run details, "Compare" tabs, and the link from cells to their runs
 * in the notebook's metadata. Talks only to the read-only server routes (`nbtrack/api/`).
 */
import { ILayoutRestorer, JupyterFrontEnd, JupyterFrontEndPlugin } from '@jupyterlab/application';
import { ICommandPalette, MainAreaWidget } from '@jupyterlab/apputils';
import { INotebookTracker } from '@jupyterlab/notebook';
import { ISettingRegistry } from '@jupyterlab/settingregistry';
import { ITranslator } from '@jupyterlab/translation';
import { LabIcon } from '@jupyterlab/ui-components';
import { SplitPanel } from '@lumino/widgets';

import { CompareView } from './compare';
import { __, setTranslator } from './i18n';
import { linkRunsToCells } from './link';
import { DEFAULT_SETTINGS, RunsPanel, SidebarSettings } from './panel';
import type { RunDetail } from './api';

const PLUGIN_ID = 'nbtrack:sidebar';

/** The sidebar's commands (all in the palette, category "nbtrack"). */
export const CommandIDs = {
  show: 'nbtrack:show-runs',
  refresh: 'nbtrack:refresh',
  compare: 'nbtrack:compare',
  compareSelected: 'nbtrack:compare-selected',
  toggleAll: 'nbtrack:toggle-all-runs',
  toggleTeam: 'nbtrack:toggle-team-runs',
  goToCell: 'nbtrack:go-to-cell',
  restore: 'nbtrack:restore-run',
  copyId: 'nbtrack:copy-run-id',
  replay: 'nbtrack:replay-run',
  exportNotebook: 'nbtrack:export-run-notebook'
} as const;

const ICON_SVG = `<svg xmlns="http://www.w3.org/2000/svg" width="16" height="16" viewBox="0 0 24 24">
  <g class="jp-icon3" fill="#616161">
    <path d="M3 3h2v16h16v2H3z"/>
    <path d="M7 15.6l4.2-5.2 3.3 2.7L19.4 6l1.6 1.2-6.1 8.5-3.3-2.7-3 3.8z"/>
    <circle cx="11.2" cy="10.4" r="1.4"/><circle cx="14.5" cy="13.1" r="1.4"/>
  </g>
</svg>`;

export const nbtrackIcon = new LabIcon({ name: 'nbtrack:runs', svgstr: ICON_SVG });

const plugin: JupyterFrontEndPlugin<void> = {
  id: PLUGIN_ID,
  description: 'The runs of the open notebook, grouped by cell, live.',
  autoStart: true,
  requires: [INotebookTracker],
  optional: [ILayoutRestorer, ICommandPalette, ISettingRegistry, ITranslator],
  activate: (
    app: JupyterFrontEnd,
    tracker: INotebookTracker,
    restorer: ILayoutRestorer | null,
    palette: ICommandPalette | null,
    settingRegistry: ISettingRegistry | null,
    translator: ITranslator | null
  ) => {
    setTranslator(translator);
    let compareCount = 0;
    const openCompare = (runIds: string[], notebook?: string, scope?: string) => {
      const content = new CompareView(runIds, notebook, scope);
      const widget = new MainAreaWidget({ content });
      widget.id = `nbtrack-compare-${++compareCount}`;
      widget.title.label = __('Compare %1 runs', runIds.length);
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
    panel.title.caption = __('nbtrack runs');
    app.shell.add(panel, 'left', { rank: 650 });
    if (restorer) {
      restorer.add(panel, 'nbtrack-sidebar');
    }
    linkRunsToCells(tracker);

    const { commands } = app;
    const current = (): RunDetail | null => panel.currentRun;
    const hasRun = () => current() !== null;
    const onRun = (label: string, caption: string, fn: (run: RunDetail) => unknown, enabled = hasRun) => ({
      label,
      caption,
      isEnabled: enabled,
      execute: () => {
        const run = current();
        return run ? fn(run) : undefined;
      }
    });
    commands.addCommand(CommandIDs.show, {
      label: __('Show nbtrack Runs'),
      execute: () => app.shell.activateById(panel.id)
    });
    commands.addCommand(CommandIDs.refresh, { label: __('Refresh nbtrack Runs'), execute: () => panel.refresh() });
    commands.addCommand(CommandIDs.compare, {
      label: __('Compare nbtrack Runs'),
      execute: args =>
        openCompare(
          (args.runIds as string[]) ?? [],
          args.notebook as string | undefined,
          args.scope as string | undefined
        )
    });
    commands.addCommand(CommandIDs.compareSelected, {
      label: __('Compare Selected nbtrack Runs'),
      isEnabled: () => panel.model.checked.size >= 2,
      execute: () => panel.compareSelected()
    });
    commands.addCommand(CommandIDs.toggleAll, {
      label: __('Show All Runs of the Store'),
      isToggled: () => panel.scope === 'all',
      execute: () => panel.setScope(panel.scope === 'all' ? 'notebook' : 'all')
    });
    commands.addCommand(CommandIDs.toggleTeam, {
      label: __('Show the Team Store\'s Runs'),
      isToggled: () => panel.scope === 'team',
      execute: () => panel.setScope(panel.scope === 'team' ? 'notebook' : 'team')
    });
    const local = () => hasRun() && panel.scope !== 'team';
    commands.addCommand(CommandIDs.goToCell, onRun(__('Go to the Cell of the nbtrack Run'), __('Select the cell that made the open run'), r => panel.goToCell(r)));
    commands.addCommand(CommandIDs.restore, onRun(__('Restore nbtrack Run as New Cell'), __('Insert a %%track cell with the open run\'s code and parameters'), r => panel.restore(r)));
    commands.addCommand(CommandIDs.copyId, onRun(__('Copy nbtrack Run Id'), __('Copy the open run\'s id'), r => panel.copyId(r)));
    commands.addCommand(CommandIDs.replay, onRun(__('Replay nbtrack Run'), __('Re-run the open run in a fresh kernel'), r => panel.replay(r), local));
    commands.addCommand(CommandIDs.exportNotebook, onRun(__('Export nbtrack Run as Notebook'), __('Write the cells the open run needs as a new notebook'), r => panel.exportNotebook(r), local));
    if (palette) {
      for (const command of Object.values(CommandIDs)) {
        if (command !== CommandIDs.compare) {
          palette.addItem({ command, category: 'nbtrack' });
        }
      }
    }

    if (settingRegistry) {
      const apply = (settings: ISettingRegistry.ISettings) => {
        const c = settings.composite as Partial<SidebarSettings>;
        panel.configure({
          pollInterval: typeof c.pollInterval === 'number' ? c.pollInterval : DEFAULT_SETTINGS.pollInterval,
          defaultScope: c.defaultScope ?? DEFAULT_SETTINGS.defaultScope,
          columns: Array.isArray(c.columns) ? c.columns : DEFAULT_SETTINGS.columns,
          metricsShown: typeof c.metricsShown === 'number' ? c.metricsShown : DEFAULT_SETTINGS.metricsShown
        });
      };
      settingRegistry
        .load(PLUGIN_ID)
        .then(settings => {
          apply(settings);
          settings.changed.connect(apply);
        })
        .catch(reason => console.warn('nbtrack: the sidebar settings could not be loaded', reason));
    }
  }
};

export default plugin;
