/** The labels that tie runtime sandboxes and containers back to their pod (identity survives restarts). */
export const podUidLabel = 'io.podbay.pod-uid';
export const podNameLabel = 'io.podbay.pod-name';
export const podNamespaceLabel = 'io.podbay.pod-namespace';
export const containerNameLabel = 'io.podbay.container-name';
