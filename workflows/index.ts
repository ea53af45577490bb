// The workflow bundle's entry: every workflow type a worker registers.
export { reproducePaper } from './reproducePaper';
export { prepareDataset } from './prepareDataset';
export { trainAndEvaluate } from './trainAndEvaluate';
export { analyze } from './analyze';
export { attributeModel } from './attributeModel';
export { auditModel } from './auditModel';
