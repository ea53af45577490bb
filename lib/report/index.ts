export * from './schema';
export {
  renderTable1,
  renderTable2,
  renderMaskQualityTable,
  table1Model,
  table2Model,
  maskQualityModel,
} from './tables';
export { TABLE_FORMATS, type TableFormat } from './tableModel';
export { computeEffect } from './effect';
export { renderHtml, type ReportFigures } from './html';
export { renderAttentionFigure, type AttentionFigureRow, type AttentionFigureOptions } from './attentionFigure';
export { writeReportFiles, ATTENTION_FIGURE_FILE, type ReportFigureFiles } from './writeReportFiles';
