// Drives the API through the Kiota client generated from its live document, as an integrator would. Arguments: the base URL
// of a service, and of one whose rate limit is one request a second. Prints one "ok: ..." line per check; a failed check
// throws, and the exit code is then not 0.
using System.Text;
using Microsoft.Kiota.Abstractions;
using Microsoft.Kiota.Abstractions.Authentication;
using Microsoft.Kiota.Http.HttpClientLibrary;
using Microsoft.Kiota.Http.HttpClientLibrary.Middleware.Options;
using T2i.Client;
using T2i.Client.Models;

Console.WriteLine($"service {args[0]}, rate-limited service {args[1]}");
var open = Client(args[0]);
var limited = Client(args[1]);
using var plain = new HttpClient { BaseAddress = new Uri(args[0]) };

// Generate and poll.
var queued = await open.V1.Generations.PostAsync(new CreateGenerationRequest { Prompt = "a red square", Seed = 7, Steps = 2, NumImages = 1 });
Check(queued is { Id: not null, Status: GenerationStatus.Queued or GenerationStatus.Running or GenerationStatus.Succeeded }, $"generate: {queued?.Id} {queued?.Status}");
var job = await Poll(open, queued!.Id!);
Check(job is { Status: GenerationStatus.Succeeded, Kind: GenerationResource_kind.Generation, Images.Count: 1 } && job.Metrics is not null && job.Error is null,
    $"poll: {job.Status}, {job.Images?.Count} image, metrics {job.Metrics is not null}");

// Download the image by its key (which holds a slash: the client encodes it) and compare with the URL's bytes.
var url = new Uri(job.Images![0].Url!);
var key = url.AbsolutePath["/v1/images/".Length..];
await using var stream = await open.V1.Images[key].GetAsync();
using var bytes = new MemoryStream();
await stream!.CopyToAsync(bytes);
var direct = await plain.GetByteArrayAsync(url.PathAndQuery);
Check(bytes.ToArray().SequenceEqual(direct) && direct.AsSpan(1, 3).SequenceEqual("PNG"u8), $"download {key}: {bytes.Length} bytes, the PNG the URL serves");

// Follow the (finished) job's events to their end.
await using var events = await open.V1.Generations[job.Id!].Events.GetAsync();
var text = await new StreamReader(events!, Encoding.UTF8).ReadToEndAsync();
Check(text.Contains("event: end") && text.Contains(job.Id!), "events: the stream ends with the finished job");

// Upload an edit (multipart: the picture as a file part) and follow it to the end.
var picture = await plain.GetByteArrayAsync(url.PathAndQuery);
var form = new MultipartBody();
form.AddOrReplacePart("image", "image/png", new MemoryStream(picture), "in.png");
form.AddOrReplacePart("prompt", "text/plain", "a blue square");
form.AddOrReplacePart("steps", "text/plain", "2");
var edit = await open.V1.Edits.PostAsync(form);
var edited = await Poll(open, edit!.Id!);
Check(edited is { Status: GenerationStatus.Succeeded, Kind: GenerationResource_kind.Edit, Inputs.Image: not null }, $"edit: {edited.Status}, input {edited.Inputs?.Image}");

// Problems, typed: 400 (with the field), 404, 409, 429.
var invalid = await Problem<HttpValidationProblemDetails>(() => open.V1.Generations.PostAsync(new CreateGenerationRequest { Prompt = "x", Steps = 0 }));
Check(invalid.Status == 400 && invalid.Errors?.AdditionalData.ContainsKey("steps") == true, $"400: {invalid.Title} ({string.Join(", ", invalid.Errors?.AdditionalData.Keys ?? [])})");
var missing = await Problem<ProblemDetails>(() => open.V1.Generations["no-such-job"].GetAsync());
Check(missing.Status == 404 && missing.Detail!.Contains("no-such-job"), $"404: {missing.Detail}");
var finished = await Problem<ProblemDetails>(() => open.V1.Generations[job.Id!].Cancel.PostAsync());
Check(finished.Status == 409, $"409: {finished.Title}");
ApiException? refused = null;
for (var i = 0; i < 20 && refused is null; i++)
{
    // Kiota's default handlers retry a 429 after its Retry-After; a caller that wants the problem itself turns that off.
    try { await limited.V1.Models.GetAsync(request => request.Options.Add(new RetryHandlerOption { MaxRetry = 0 })); }
    catch (ApiException problem) { refused = problem; }
}
Check(refused is ProblemDetails { Status: 429 }, $"429: {(refused as ProblemDetails)?.Detail ?? refused?.ToString()}");
return 0;

static TextToImageClient Client(string baseUrl) =>
    new(new HttpClientRequestAdapter(new AnonymousAuthenticationProvider()) { BaseUrl = baseUrl.TrimEnd('/') });

static async Task<GenerationResource> Poll(TextToImageClient client, string id)
{
    for (var start = DateTime.UtcNow; DateTime.UtcNow - start < TimeSpan.FromMinutes(3); await Task.Delay(50))
        if (await client.V1.Generations[id].GetAsync() is { Status: GenerationStatus.Succeeded or GenerationStatus.Failed or GenerationStatus.Canceled } done)
            return done;
    throw new TimeoutException($"Job {id} did not finish in 3 minutes.");
}

static async Task<T> Problem<T>(Func<Task> call) where T : ApiException
{
    try
    {
        await call();
    }
    catch (T problem)
    {
        return problem;
    }
    throw new InvalidOperationException($"Expected a {typeof(T).Name}; the call succeeded.");
}

static void Check(bool ok, string what)
{
    if (!ok) throw new InvalidOperationException("failed: " + what);
    Console.WriteLine("ok: " + what);
}
