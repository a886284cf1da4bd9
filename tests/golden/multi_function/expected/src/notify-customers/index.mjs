// Demo handler for an asynchronously invoked Lambda function.
//
// It fails on request, so the path of a failed event to the on-failure destination
// can be shown end to end: send {"forceError": true} and the invocation throws.

class ForcedError extends Error {
  constructor(message) {
    super(message);
    this.name = "ForcedError";
  }
}

export const handler = async (event, context) => {
  console.log("event:", JSON.stringify(event));
  if (event && event.forceError === true) {
    throw new ForcedError("the event set forceError");
  }
  return { status: "ok", requestId: context.awsRequestId };
};
