# TextToImage's container images: the API (target api) and the worker (target worker).
#
#   docker build --target api    -t texttoimage-api .
#   docker build --target worker -t texttoimage-worker .
#   GPU workers:  docker build --target worker --build-arg TORCH_BACKEND=cuda -t texttoimage-worker:cuda .
#
# Needs BuildKit: the default builder of Docker 23 and later and of `docker compose`; on Docker 20.10
# set DOCKER_BUILDKIT=1, and with docker-compose 1.29 also COMPOSE_DOCKER_CLI_BUILD=1. It skips the
# stages a build does not use (the CPU image never pulls the CUDA base) and gives RUN its secrets.
#
# Every base image is a build argument, so a site without the public registries substitutes its own
# (deploy/compose-test.sh builds local ones). A private CA for the package feeds comes in as the
# build secret `ca_bundle` (--secret id=ca_bundle,src=/path/ca.crt): it is mounted for the restore
# only and is in no layer.

ARG SDK_IMAGE=mcr.microsoft.com/dotnet/sdk:10.0
ARG RUNTIME_IMAGE=mcr.microsoft.com/dotnet/aspnet:10.0
# libtorch's CUDA package carries its own CUDA libraries (cuBLAS, cuDNN, ...): the base only needs
# the driver's, which the NVIDIA container toolkit mounts at run time.
ARG CUDA_RUNTIME_IMAGE=nvidia/cuda:12.8.1-base-ubuntu24.04
# cpu: TorchSharp with libtorch-cpu-linux-x64. cuda: libtorch-cuda-12.8-linux-x64, from a feed that
# serves it (its restore is not locked: see Directory.Build.props).
ARG TORCH_BACKEND=cpu

# ---- build: restore, publish both hosts, prepare the bundled model --------------------------------
FROM ${SDK_IMAGE} AS build
ARG TORCH_BACKEND
# NuGet checks package signatures' revocation online by default; a machine without the CAs' servers sets offline.
ARG NUGET_CERT_REVOCATION_MODE=online
ENV DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
WORKDIR /src

# The restore sees only the project and lock files, so a change of code reuses the restored layer.
COPY global.json Directory.Build.props Directory.Build.targets Directory.Packages.props ./
COPY build/ build/
COPY src/TextToImage.Diffusion/*.csproj src/TextToImage.Diffusion/packages*.lock.json src/TextToImage.Diffusion/
COPY src/TextToImage.Service/*.csproj src/TextToImage.Service/packages*.lock.json src/TextToImage.Service/
COPY src/TextToImage.Api/*.csproj src/TextToImage.Api/packages*.lock.json src/TextToImage.Api/
COPY src/TextToImage.Worker/*.csproj src/TextToImage.Worker/packages*.lock.json src/TextToImage.Worker/
RUN --mount=type=secret,id=ca_bundle,required=false \
    if [ -f /run/secrets/ca_bundle ]; then export SSL_CERT_FILE=/run/secrets/ca_bundle; fi; \
    export NUGET_CERT_REVOCATION_MODE="$NUGET_CERT_REVOCATION_MODE"; \
    dotnet restore src/TextToImage.Api/TextToImage.Api.csproj -p:TorchBackend="$TORCH_BACKEND" \
    && dotnet restore src/TextToImage.Worker/TextToImage.Worker.csproj -p:TorchBackend="$TORCH_BACKEND"

COPY appsettings.json ./
COPY models/ models/
COPY src/TextToImage.Diffusion/ src/TextToImage.Diffusion/
COPY src/TextToImage.Service/ src/TextToImage.Service/
COPY src/TextToImage.Api/ src/TextToImage.Api/
COPY src/TextToImage.Worker/ src/TextToImage.Worker/
# Each host gets its own folder: the API runs on ASP.NET Core's shared framework, the worker on the
# generic host, and their dependency files differ.
# libtorch's Python binding and its test back-ends (34 MB) are never loaded by TorchSharp.
# --prepare-models loads the bundled model once, converting all-MiniLM-L6-v2's ONNX into
# text_encoder/model.safetensors, so no container converts it at start (its model folder is read-only).
RUN for host in Api Worker; do \
        out=/app/$(echo "$host" | tr 'A-Z' 'a-z'); \
        dotnet publish "src/TextToImage.$host/TextToImage.$host.csproj" -c Release --no-restore \
            -p:TorchBackend="$TORCH_BACKEND" -o "$out" || exit 1; \
        (cd "$out/runtimes/linux-x64/native" && rm -f libtorch_python.so libjitbackend_test.so libtorchbind_test.so \
            libbackend_with_compiler.so libaoti_custom_ops.so libnnapi_backend.so); \
        (cd "$out" && DataRoot=/tmp/prepare Models__Device=cpu dotnet "TextToImage.$host.dll" --prepare-models) || exit 1; \
    done; \
    rm -rf /tmp/prepare

# ---- runtime bases --------------------------------------------------------------------------------
FROM ${RUNTIME_IMAGE} AS runtime-cpu

FROM ${CUDA_RUNTIME_IMAGE} AS runtime-cuda
# The CUDA base has no .NET: the SDK's own runtimes (the host, .NET and ASP.NET Core) come along.
COPY --from=build /usr/share/dotnet/dotnet /usr/share/dotnet/dotnet
COPY --from=build /usr/share/dotnet/host /usr/share/dotnet/host
COPY --from=build /usr/share/dotnet/shared /usr/share/dotnet/shared
RUN ln -sf /usr/share/dotnet/dotnet /usr/bin/dotnet
# Without ICU, which the CUDA base lacks: the service formats nothing by culture.
ENV DOTNET_SYSTEM_GLOBALIZATION_INVARIANT=1

FROM runtime-${TORCH_BACKEND} AS runtime
# A user of our own (the bases differ in theirs), and the state (SQLite files, images when the blob
# store is the file system) under one volume.
RUN groupadd --gid 10001 t2i && useradd --uid 10001 --gid 10001 --no-create-home --home-dir /var/lib/texttoimage --shell /usr/sbin/nologin t2i \
    && mkdir -p /var/lib/texttoimage && chown t2i:t2i /var/lib/texttoimage
COPY deploy/docker/healthcheck.sh /usr/local/bin/t2i-healthcheck
ENV DataRoot=/var/lib/texttoimage \
    ASPNETCORE_HTTP_PORTS=8080 \
    DOTNET_RUNNING_IN_CONTAINER=true \
    DOTNET_CLI_TELEMETRY_OPTOUT=1
VOLUME /var/lib/texttoimage
WORKDIR /app
USER 10001:10001

# ---- the two hosts --------------------------------------------------------------------------------
FROM runtime AS worker
COPY --from=build /app/worker /app
# The worker serves no HTTP: Hangfire's server heartbeat (the dashboard's Servers page) shows it alive.
ENTRYPOINT ["dotnet", "TextToImage.Worker.dll"]

# Last, so a build without --target gives the API: alone, with its in-process worker, it is the
# whole service on SQLite and local files (docker run -p 8080:8080 texttoimage-api).
FROM runtime AS api
COPY --from=build /app/api /app
EXPOSE 8080
HEALTHCHECK --interval=10s --timeout=5s --start-period=60s --retries=3 CMD ["t2i-healthcheck", "http://127.0.0.1:8080/healthz"]
ENTRYPOINT ["dotnet", "TextToImage.Api.dll"]
