// Preloaded into a CLI process to make it look like desktop VS Code's extension host: process.versions.electron set
// and process.execPath the editor's own binary (ELECTRON_HOST_EXEC), which is not a Node.js.
const editor = process.env.ELECTRON_HOST_EXEC;
if (!editor) throw new Error('ELECTRON_HOST_EXEC (the simulated editor binary) is not set');
Object.defineProperty(process.versions, 'electron', { value: '30.0.0', enumerable: true });
process.execPath = editor;
