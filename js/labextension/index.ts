import { JupyterFrontEnd, JupyterFrontEndPlugin } from '@jupyterlab/application';

const plugin: JupyterFrontEndPlugin<void> = {
  id: 'nbtrack:sidebar',
  autoStart: true,
  activate: (_app: JupyterFrontEnd) => {
    // Placeholder: the runs sidebar is built here.
  }
};

export default plugin;
