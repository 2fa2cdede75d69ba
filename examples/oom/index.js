'use strict';
// Allocates until it exceeds its memory limit (128 MB by default): killed, recorded with retCode 434.
exports.main_handler = async () => {
  const hoard = [];
  for (let i = 0; ; i++) {
    hoard.push(Buffer.alloc(8 * 1024 * 1024, i % 256));
    if (i % 4 === 0) console.log(`holding ${(i + 1) * 8} MB`);
    await new Promise((resolve) => setImmediate(resolve));
  }
};
