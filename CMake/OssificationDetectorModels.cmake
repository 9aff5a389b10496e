# The model files a build installs, from Resources/Models/models.json.
#
# A model whose file lies in the models folder (the bundled default, committed to the repository) is
# installed from there. A model published as a release file instead has "url" and "sha256" in models.json
# and no file in the repository: it is downloaded once, at configure time, into the build tree and checked
# against its sha256, so that the installed extension works offline and the repository's history does not
# grow by a full model at each version.
cmake_minimum_required(VERSION 3.19)  # string(JSON)

# ossification_published_models(<models.json> <models folder> <download folder> <out: downloaded files>)
# Files in the models folder are left to MODULE_PYTHON_RESOURCES; the downloaded ones are returned.
function(ossification_published_models registry models_dir download_dir out_var)
  file(READ "${registry}" json)
  string(JSON count LENGTH "${json}" models)
  set(files)
  if(count GREATER 0)
    math(EXPR last "${count} - 1")
    foreach(index RANGE ${last})
      string(JSON name GET "${json}" models ${index} name)
      string(JSON file GET "${json}" models ${index} file)
      string(JSON sha256 GET "${json}" models ${index} sha256)
      string(JSON url ERROR_VARIABLE no_url GET "${json}" models ${index} url)
      if(EXISTS "${models_dir}/${file}")
        continue()
      elseif(no_url)
        message(FATAL_ERROR "Model '${name}': ${models_dir}/${file} is missing and models.json gives no url "
                            "to download it from.")
      else()
        set(target "${download_dir}/${file}")
        if(EXISTS "${target}")
          file(SHA256 "${target}" actual)
        endif()
        if(NOT EXISTS "${target}" OR NOT actual STREQUAL sha256)
          message(STATUS "Downloading model '${name}' from ${url}")
          file(DOWNLOAD "${url}" "${target}.part" STATUS status TLS_VERIFY ON)
          list(GET status 0 code)
          if(NOT code EQUAL 0)
            file(REMOVE "${target}.part")
            list(GET status 1 reason)
            message(FATAL_ERROR "Model '${name}' could not be downloaded from ${url}: ${reason}")
          endif()
          file(SHA256 "${target}.part" actual)
          if(NOT actual STREQUAL sha256)
            file(REMOVE "${target}.part")
            message(FATAL_ERROR "Model '${name}' downloaded from ${url} has sha256 ${actual}, not the ${sha256} "
                                "that models.json records: the release file was changed or damaged.")
          endif()
          file(RENAME "${target}.part" "${target}")
        endif()
        list(APPEND files "${target}")
      endif()
    endforeach()
  endif()
  set(${out_var} ${files} PARENT_SCOPE)
endfunction()

# Run as a script (tests): cmake -DREGISTRY=... -DMODELS_DIR=... -DDOWNLOAD_DIR=... -P OssificationDetectorModels.cmake
if(CMAKE_SCRIPT_MODE_FILE AND REGISTRY)
  ossification_published_models("${REGISTRY}" "${MODELS_DIR}" "${DOWNLOAD_DIR}" files)
  foreach(f ${files})
    message(STATUS "downloaded model file: ${f}")
  endforeach()
endif()
