'use strict';
// The function of the seed document's GetFunctionLogs example: prints "Hello World", the event, the CMQ
// message it carries and the context, and returns "ok" (Node.js 6.10 callback style).
exports.main_handler = (event, context, callback) => {
  console.log('Hello World');
  console.log(event);
  if (event && Array.isArray(event.Records) && event.Records[0]) console.log(event.Records[0].CMQ);
  console.log(context);
  callback(null, 'ok');
};
