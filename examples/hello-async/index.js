'use strict';
// A modern async handler: returns an object, which becomes the record's retMsg (its JSON).
const started = new Date().toISOString(); // module code runs once per instance (cold start)
console.log('cold start at', started);

exports.main_handler = async (event, context) => {
  console.log('request', context.request_id, 'remaining ms', context.getRemainingTimeInMillis());
  return { message: `hello ${event.name || 'world'}`, instanceStartedAt: started };
};
