# A stand-in for mcr.microsoft.com/dotnet/sdk:10.0 where no registry answers: Debian 12 and the
# .NET SDK this machine has (the build context is its dotnet folder). Built by local-images.sh.
ARG DEBIAN_IMAGE
FROM ${DEBIAN_IMAGE}
# What .NET needs on Debian 12 (as the official images install it).
RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates libc6 libgcc-s1 libicu72 libssl3 libstdc++6 tzdata zlib1g \
    && rm -rf /var/lib/apt/lists/*
COPY . /usr/share/dotnet
RUN ln -s /usr/share/dotnet/dotnet /usr/bin/dotnet
ENV DOTNET_RUNNING_IN_CONTAINER=true DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
