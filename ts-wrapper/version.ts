// The package version recorded in every result and model file (a test keeps it equal to package.json's).
export const VERSION = "0.1.0";
