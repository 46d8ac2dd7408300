/** Files: presigned uploads and downloads, the local storage's own endpoints. */
export { createFilesService, type FilesService } from './files.service.js';
