// Placeholder so the stack can bundle this entry; the owning issue replaces it.
export const handler = async (): Promise<never> => {
  throw new Error('image-events is not built yet');
};
