'use strict';
// Throws from the handler: recorded with retCode 430 (user code exception) and the stack in its log.
exports.main_handler = async (event) => {
  console.log('about to fail on', JSON.stringify(event));
  throw new Error('something went wrong');
};
