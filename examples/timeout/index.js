'use strict';
// Outlives its timeout (3 s by default): killed, recorded with retCode 433, and the lines it printed
// before are kept in its log.
exports.main_handler = async () => {
  for (let i = 1; ; i++) {
    console.log(`still working, second ${i}`);
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
};
