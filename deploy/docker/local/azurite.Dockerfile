# A stand-in for mcr.microsoft.com/azure-storage/azurite where no registry answers: Debian 12's
# Node.js and the npm azurite that deploy/npm-tool.sh installed on this machine (the build context
# is its .tools/azurite folder; the package is JavaScript only). azurite-blob on PATH, data in /data.
ARG DEBIAN_IMAGE
FROM ${DEBIAN_IMAGE}
RUN apt-get update && apt-get install -y --no-install-recommends nodejs \
    && rm -rf /var/lib/apt/lists/*
COPY node_modules/ /opt/azurite/node_modules/
RUN ln -s /opt/azurite/node_modules/.bin/azurite-blob /usr/local/bin/azurite-blob && mkdir /data
WORKDIR /opt/azurite
EXPOSE 10000
CMD ["azurite-blob", "--blobHost", "0.0.0.0", "--location", "/data"]
