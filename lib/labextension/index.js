const plugin = {
    id: 'nbtrack:sidebar',
    autoStart: true,
    activate: (_app) => {
        // Placeholder: the runs sidebar is built here.
    }
};
export default plugin;
