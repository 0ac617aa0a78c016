export const noop = () => null;
