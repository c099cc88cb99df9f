/**
 * The browser softphone's SIP stack (JsSIP) for agent-ui/, bundled from node_modules by esbuild on
 * the first request and kept in memory: nothing is built into the repository or onto disk.
 */
export function buildSoftphoneBundle(): () => Promise<string> {
  let bundle: Promise<string> | undefined;
  const build = async (): Promise<string> => {
    const esbuild = await import('esbuild');
    const out = await esbuild.build({ entryPoints: [require.resolve('jssip')], bundle: true, format: 'iife', globalName: 'JsSIP', platform: 'browser', minify: true, write: false, logLevel: 'silent' });
    return out.outputFiles[0]?.text ?? '';
  };
  return () =>
    (bundle ??= build().catch((err: unknown) => {
      bundle = undefined;
      throw err;
    }));
}
